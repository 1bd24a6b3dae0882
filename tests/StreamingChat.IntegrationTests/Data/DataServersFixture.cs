using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>One MongoDB server (or the real one <c>STREAMINGCHAT_TEST_MONGO</c> names) for a test class; each test uses a database of its own.</summary>
public sealed class MongoServerFixture : IAsyncLifetime
{
    /// <summary>The server.</summary>
    public MongoTestServer Server { get; private set; } = null!;

    /// <summary>A connection string to a database no other test uses.</summary>
    public string NewDatabase(string purpose) => Server.ConnectionString(MongoTestServer.NewDatabaseName(purpose));

    /// <inheritdoc/>
    public async Task InitializeAsync() => Server = await MongoTestServer.StartAsync();

    /// <inheritdoc/>
    public async Task DisposeAsync() => await Server.DisposeAsync();
}
