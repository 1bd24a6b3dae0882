using System.ComponentModel.DataAnnotations;
using MongoDB.Driver;

namespace StreamingChat.Mongo;

/// <summary>The MongoDB stores, bound from <c>StreamingChat:Mongo</c>.</summary>
public sealed class MongoStoreOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "StreamingChat:Mongo";

    /// <summary>The MongoDB connection string (<c>mongodb://…</c> or <c>mongodb+srv://…</c>); never printed.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The database; the connection string's database when empty, else <c>streamingchat</c>.</summary>
    [RegularExpression("^[^/\\\\. \"$*<>:|?]{1,63}$")]
    public string? Database { get; set; }

    /// <summary>The chatbot definitions' collection (default <c>chatbots</c>).</summary>
    [Required]
    [RegularExpression(CollectionNamePattern)]
    public string ChatbotsCollection { get; set; } = "chatbots";

    /// <summary>The conversation turns' collection (default <c>messages</c>).</summary>
    [Required]
    [RegularExpression(CollectionNamePattern)]
    public string MessagesCollection { get; set; } = "messages";

    /// <summary>The sessions and their owners (default <c>sessions</c>).</summary>
    [Required]
    [RegularExpression(CollectionNamePattern)]
    public string SessionsCollection { get; set; } = "sessions";

    /// <summary>The record of applied migrations (default <c>migrations</c>).</summary>
    [Required]
    [RegularExpression(CollectionNamePattern)]
    public string MigrationsCollection { get; set; } = "migrations";

    /// <summary>
    /// When set, turns older than this many days are deleted by MongoDB itself (a TTL index on <c>createdAt</c>, made by
    /// <c>migrate</c>); kept for ever when empty.
    /// </summary>
    [Range(1, 36_500)]
    public int? MessageRetentionDays { get; set; }

    /// <summary>How long to wait for a server to take a command before failing (default 5 s).</summary>
    [Range(1, 120)]
    public int ServerSelectionTimeoutSeconds { get; set; } = 5;

    private const string CollectionNamePattern = "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,119}$";

    /// <summary>The database to use: <see cref="Database"/>, else the connection string's, else <c>streamingchat</c>.</summary>
    public string EffectiveDatabase
    {
        get
        {
            if (!string.IsNullOrWhiteSpace(Database))
            {
                return Database;
            }

            var fromUrl = string.IsNullOrWhiteSpace(ConnectionString) ? null : TryParse(ConnectionString)?.DatabaseName;
            return string.IsNullOrWhiteSpace(fromUrl) ? "streamingchat" : fromUrl;
        }
    }

    internal static MongoUrl? TryParse(string connectionString)
    {
        try
        {
            return MongoUrl.Create(connectionString);
        }
        catch (Exception ex) when (ex is MongoConfigurationException or ArgumentException or FormatException)
        {
            return null;
        }
    }
}
