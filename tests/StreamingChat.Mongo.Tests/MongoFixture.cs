using Microsoft.Extensions.Options;
using MongoDB.Driver;
using StreamingChat.Testing;

namespace StreamingChat.Mongo.Tests;

/// <summary>One MongoDB server for every test of this assembly; each test works in a database of its own.</summary>
public sealed class MongoFixture : IAsyncLifetime
{
    /// <summary>The server.</summary>
    public MongoTestServer Server { get; private set; } = null!;

    /// <summary>Options for a fresh database on the server.</summary>
    public MongoStoreOptions NewOptions(string purpose, Action<MongoStoreOptions>? configure = null)
    {
        var options = new MongoStoreOptions { ConnectionString = Server.ConnectionString(MongoTestServer.NewDatabaseName(purpose)), ServerSelectionTimeoutSeconds = 10 };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>A client over a fresh database.</summary>
    public StreamingChatMongo NewMongo(string purpose, Action<MongoStoreOptions>? configure = null, Action<MongoClientSettings>? configureClient = null)
        => new(Options.Create(NewOptions(purpose, configure)), configureClient);

    /// <inheritdoc/>
    public async Task InitializeAsync() => Server = await MongoTestServer.StartAsync();

    /// <inheritdoc/>
    public async Task DisposeAsync() => await Server.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class MongoCollection : ICollectionFixture<MongoFixture>
{
    public const string Name = "mongo";
}
