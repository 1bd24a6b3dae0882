using Microsoft.Extensions.Options;
using MongoDB.Bson;
using MongoDB.Driver;

namespace StreamingChat.Mongo;

/// <summary>
/// The process's MongoDB client and StreamingChat's collections. One <see cref="MongoClient"/> per process, as the driver
/// asks: it pools connections and watches the servers.
/// </summary>
public sealed class StreamingChatMongo : IDisposable
{
    private readonly MongoClient _client;

    /// <summary>Connects (lazily, as the driver does) with <paramref name="options"/>; <paramref name="configureClient"/> can add to the driver's settings.</summary>
    public StreamingChatMongo(IOptions<MongoStoreOptions> options, Action<MongoClientSettings>? configureClient = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Value;
        if (string.IsNullOrWhiteSpace(Options.ConnectionString))
        {
            throw new InvalidOperationException("No MongoDB connection string is configured.");
        }

        var settings = MongoClientSettings.FromConnectionString(Options.ConnectionString);
        settings.ServerSelectionTimeout = TimeSpan.FromSeconds(Options.ServerSelectionTimeoutSeconds);
        settings.ApplicationName ??= "streamingchat";
        configureClient?.Invoke(settings);
        _client = new MongoClient(settings);
        Database = _client.GetDatabase(Options.EffectiveDatabase);
        Chatbots = Database.GetCollection<ChatbotDocument>(Options.ChatbotsCollection);
        Messages = Database.GetCollection<MessageDocument>(Options.MessagesCollection);
        Migrations = Database.GetCollection<MigrationDocument>(Options.MigrationsCollection);
        Sessions = Database.GetCollection<SessionDocument>(Options.SessionsCollection);
    }

    /// <summary>The options in use.</summary>
    public MongoStoreOptions Options { get; }

    /// <summary>The database.</summary>
    public IMongoDatabase Database { get; }

    internal IMongoCollection<ChatbotDocument> Chatbots { get; }

    internal IMongoCollection<MessageDocument> Messages { get; }

    internal IMongoCollection<MigrationDocument> Migrations { get; }

    internal IMongoCollection<SessionDocument> Sessions { get; }

    /// <summary>Asks the server to answer a <c>ping</c>.</summary>
    public Task PingAsync(CancellationToken cancellationToken = default)
        => Database.RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1), cancellationToken: cancellationToken);

    /// <inheritdoc/>
    public void Dispose() => _client.Dispose();
}
