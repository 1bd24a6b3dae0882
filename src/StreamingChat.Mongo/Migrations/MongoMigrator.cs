using MongoDB.Bson;
using MongoDB.Driver;

namespace StreamingChat.Mongo;

/// <summary>One numbered change to the database. Each must be idempotent: it may meet a database it already changed.</summary>
/// <param name="Number">Its number; migrations run in this order, each once.</param>
/// <param name="Name">What it does, in a few words.</param>
/// <param name="ApplyAsync">The change.</param>
internal sealed record MongoMigration(int Number, string Name, Func<StreamingChatMongo, CancellationToken, Task> ApplyAsync);

/// <summary>An index StreamingChat expects, and what the database has.</summary>
/// <param name="Collection">The collection.</param>
/// <param name="Name">The index's name.</param>
/// <param name="Keys">Its keys, e.g. <c>{ "sessionId" : 1, "createdAt" : 1 }</c>.</param>
/// <param name="State">Present, missing, different, or present but not expected.</param>
/// <param name="Detail">What differs, when something does.</param>
public sealed record IndexCheck(string Collection, string Name, string Keys, IndexState State, string? Detail = null);

/// <summary>How an expected index compares with the database.</summary>
public enum IndexState
{
    /// <summary>As expected.</summary>
    Ok,

    /// <summary>Not there.</summary>
    Missing,

    /// <summary>There, with other keys or options.</summary>
    Differs,

    /// <summary>There but not expected: a retention index while retention is off, which deletes turns nobody asked to delete.</summary>
    Unexpected,
}

/// <summary>What <see cref="MongoMigrator.MigrateAsync"/> did.</summary>
/// <param name="Applied">The migrations that ran now, as <c>NNN name</c>.</param>
/// <param name="Retention">What was done to the retention index, or null when nothing was.</param>
public sealed record MigrationResult(IReadOnlyList<string> Applied, string? Retention)
{
    /// <summary>Whether anything changed.</summary>
    public bool Changed => Applied.Count > 0 || Retention is not null;
}

/// <summary>
/// Runs StreamingChat's numbered migrations (recorded in <c>migrations</c>, so each runs once), keeps the retention index
/// in line with <see cref="MongoStoreOptions.MessageRetentionDays"/>, and checks the indexes the stores rely on. It uses
/// only commands MongoDB 4.4 and later serve (<c>listIndexes</c>, <c>createIndexes</c>, <c>collMod</c>, <c>dropIndexes</c>).
/// </summary>
public sealed class MongoMigrator(StreamingChatMongo mongo, TimeProvider? timeProvider = null)
{
    /// <summary>The name of the messages' retention (TTL) index.</summary>
    public const string RetentionIndexName = "createdAt_ttl";

    /// <summary>The name of the session records' retention (TTL) index, on their last question.</summary>
    public const string SessionRetentionIndexName = "updatedAt_ttl";

    private const int NamespaceNotFound = 26;

    private static readonly IReadOnlyList<(string Name, BsonDocument Keys)> MessageIndexes =
    [
        ("sessionId_1_createdAt_1", new BsonDocument { { "sessionId", 1 }, { "createdAt", 1 } }),
        ("chatbotId_1_createdAt_1", new BsonDocument { { "chatbotId", 1 }, { "createdAt", 1 } }),
        // History is read by owner and session, newest first (MongoConversationStore.GetRecentAsync).
        ("owner_1_sessionId_1_createdAt_1", new BsonDocument { { "owner", 1 }, { "sessionId", 1 }, { "createdAt", 1 } }),
    ];

    /// <summary>Every migration, in order.</summary>
    internal static IReadOnlyList<MongoMigration> All { get; } =
    [
        new(1, "messages-indexes", static async (mongo, ct) =>
        {
            var models = MessageIndexes.Select(i => new CreateIndexModel<MessageDocument>(i.Keys, new CreateIndexOptions { Name = i.Name }));
            await mongo.Messages.Indexes.CreateManyAsync(models, ct).ConfigureAwait(false);
        }),
        new(2, "messages-status-backfill", static async (mongo, ct) =>
        {
            // Turns written before answers had a status were complete answers.
            var filter = Builders<MessageDocument>.Filter.Exists(m => m.Status, false);
            await mongo.Messages.UpdateManyAsync(filter, Builders<MessageDocument>.Update.Set(m => m.Status, "complete"), cancellationToken: ct).ConfigureAwait(false);
        }),
        new(3, "messages-owner-index", static async (mongo, ct) =>
        {
            // Turns stored before sessions had owners keep no owner: they belong to nobody, so no caller's history reads them.
            var (name, keys) = MessageIndexes[2];
            await mongo.Messages.Indexes.CreateOneAsync(new CreateIndexModel<MessageDocument>(keys, new CreateIndexOptions { Name = name }), cancellationToken: ct).ConfigureAwait(false);
        }),
        new(4, "chatbots-tools-and-mcp-servers", static async (mongo, ct) =>
        {
            // Chatbots stored before tools use none. (A turn's parts need no backfill: a turn without them was text only,
            // and its content is the whole of it.)
            foreach (var field in new[] { "tools", "mcpServers" })
            {
                var filter = Builders<ChatbotDocument>.Filter.Exists(field, false);
                await mongo.Chatbots.UpdateManyAsync(filter, Builders<ChatbotDocument>.Update.Set(field, new BsonArray()), cancellationToken: ct).ConfigureAwait(false);
            }
        }),
    ];

    /// <summary>The migrations not yet recorded as applied, in order.</summary>
    public async Task<IReadOnlyList<string>> GetPendingAsync(CancellationToken cancellationToken = default)
    {
        var applied = await GetAppliedNumbersAsync(cancellationToken).ConfigureAwait(false);
        return [.. All.Where(m => !applied.Contains(m.Number)).Select(Describe)];
    }

    /// <summary>Runs the pending migrations in order, records each, and brings the retention index in line with the options.</summary>
    public async Task<MigrationResult> MigrateAsync(string appliedBy = "migrate", CancellationToken cancellationToken = default)
    {
        var applied = await GetAppliedNumbersAsync(cancellationToken).ConfigureAwait(false);
        var ran = new List<string>();
        foreach (var migration in All.Where(m => !applied.Contains(m.Number)))
        {
            await migration.ApplyAsync(mongo, cancellationToken).ConfigureAwait(false);
            var record = new MigrationDocument
            {
                Number = migration.Number,
                Name = migration.Name,
                AppliedAt = (timeProvider ?? TimeProvider.System).GetUtcNow().UtcDateTime,
                AppliedBy = appliedBy,
            };
            await mongo.Migrations.ReplaceOneAsync(m => m.Number == migration.Number, record, new ReplaceOptions { IsUpsert = true }, cancellationToken).ConfigureAwait(false);
            ran.Add(Describe(migration));
        }

        var retention = await EnsureRetentionAsync(cancellationToken).ConfigureAwait(false);
        return new MigrationResult(ran, retention);
    }

    /// <summary>Compares the indexes the stores rely on with the database's.</summary>
    public async Task<IReadOnlyList<IndexCheck>> VerifyIndexesAsync(CancellationToken cancellationToken = default)
    {
        var collection = mongo.Options.MessagesCollection;
        var existing = await ListIndexesAsync(cancellationToken).ConfigureAwait(false);
        var checks = new List<IndexCheck>();
        foreach (var (name, keys) in MessageIndexes)
        {
            var found = existing.FirstOrDefault(i => i.GetValue("name", "").AsString == name);
            if (found is null)
            {
                var sameKeys = existing.FirstOrDefault(i => i.GetValue("key", new BsonDocument()).Equals(keys));
                checks.Add(sameKeys is null
                    ? new IndexCheck(collection, name, keys.ToJson(), IndexState.Missing)
                    : new IndexCheck(collection, name, keys.ToJson(), IndexState.Differs, $"the same keys are indexed under the name '{sameKeys["name"]}'"));
            }
            else if (!found["key"].AsBsonDocument.Equals(keys))
            {
                checks.Add(new IndexCheck(collection, name, keys.ToJson(), IndexState.Differs, $"keys are {found["key"].ToJson()}"));
            }
            else
            {
                checks.Add(new IndexCheck(collection, name, keys.ToJson(), IndexState.Ok));
            }
        }

        foreach (var target in RetentionTargets)
        {
            var indexes = target.Collection == collection ? existing : await ListIndexesAsync(target.Collection, cancellationToken).ConfigureAwait(false);
            if (CheckRetention(target, indexes) is { } check)
            {
                checks.Add(check);
            }
        }

        return checks;
    }

    /// <summary>The retention (TTL) indexes <c>migrate</c> keeps in line with <see cref="MongoStoreOptions.MessageRetentionDays"/>: the turns by when they were said, the session records by their last question.</summary>
    private IEnumerable<(string Collection, string Field, string Name, string What)> RetentionTargets =>
    [
        (mongo.Options.MessagesCollection, "createdAt", RetentionIndexName, "turns"),
        (mongo.Options.SessionsCollection, "updatedAt", SessionRetentionIndexName, "session records"),
    ];

    /// <summary>The retention index's check; null when retention is off and there is none, as it should be.</summary>
    private IndexCheck? CheckRetention((string Collection, string Field, string Name, string What) target, List<BsonDocument> indexes)
    {
        var keys = new BsonDocument(target.Field, 1).ToJson();
        var ttl = indexes.FirstOrDefault(i => i.GetValue("name", "").AsString == target.Name);
        var wanted = WantedRetentionSeconds;
        if (wanted is null)
        {
            return ttl is null
                ? null
                : new IndexCheck(target.Collection, target.Name, keys, IndexState.Unexpected, $"deletes {target.What} after {ExpireAfter(ttl)} s while retention is off; run 'migrate' to remove it");
        }

        if (ttl is null)
        {
            return new IndexCheck(target.Collection, target.Name, keys, IndexState.Missing, $"retention of {wanted} s is configured");
        }

        return ExpireAfter(ttl) != wanted
            ? new IndexCheck(target.Collection, target.Name, keys, IndexState.Differs, $"deletes after {ExpireAfter(ttl)} s, configured {wanted} s")
            : new IndexCheck(target.Collection, target.Name, keys, IndexState.Ok);
    }

    private long? WantedRetentionSeconds => mongo.Options.MessageRetentionDays is { } days ? days * 86_400L : null;

    private static string Describe(MongoMigration migration) => $"{migration.Number:000} {migration.Name}";

    private static long? ExpireAfter(BsonDocument index)
        => index.TryGetValue("expireAfterSeconds", out var value) && value.IsNumeric ? value.ToInt64() : null;

    private async Task<HashSet<int>> GetAppliedNumbersAsync(CancellationToken cancellationToken)
    {
        var records = await mongo.Migrations.Find(FilterDefinition<MigrationDocument>.Empty).ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. records.Select(r => r.Number)];
    }

    private Task<List<BsonDocument>> ListIndexesAsync(CancellationToken cancellationToken) => ListIndexesAsync(mongo.Options.MessagesCollection, cancellationToken);

    private async Task<List<BsonDocument>> ListIndexesAsync(string collection, CancellationToken cancellationToken)
    {
        try
        {
            using var cursor = await mongo.Database.GetCollection<BsonDocument>(collection).Indexes.ListAsync(cancellationToken).ConfigureAwait(false);
            return await cursor.ToListAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (MongoCommandException ex) when (ex.Code == NamespaceNotFound)
        {
            // A collection that does not exist yet has no indexes.
            return [];
        }
    }

    private async Task<string?> EnsureRetentionAsync(CancellationToken cancellationToken)
    {
        var done = new List<string>();
        foreach (var target in RetentionTargets)
        {
            if (await EnsureRetentionAsync(target, cancellationToken).ConfigureAwait(false) is { } change)
            {
                done.Add(change);
            }
        }

        return done.Count == 0 ? null : string.Join("; ", done);
    }

    private async Task<string?> EnsureRetentionAsync((string Collection, string Field, string Name, string What) target, CancellationToken cancellationToken)
    {
        var collection = mongo.Database.GetCollection<BsonDocument>(target.Collection);
        var existing = await ListIndexesAsync(target.Collection, cancellationToken).ConfigureAwait(false);
        var ttl = existing.FirstOrDefault(i => i.GetValue("name", "").AsString == target.Name);
        var wanted = WantedRetentionSeconds;
        if (wanted is null)
        {
            if (ttl is null)
            {
                return null;
            }

            await collection.Indexes.DropOneAsync(target.Name, cancellationToken).ConfigureAwait(false);
            return $"retention index removed: {target.What} are kept";
        }

        if (ttl is null)
        {
            var model = new CreateIndexModel<BsonDocument>(new BsonDocument(target.Field, 1), new CreateIndexOptions { Name = target.Name, ExpireAfter = TimeSpan.FromSeconds(wanted.Value) });
            await collection.Indexes.CreateOneAsync(model, cancellationToken: cancellationToken).ConfigureAwait(false);
            return $"retention index created: {target.What} are deleted after {mongo.Options.MessageRetentionDays} days";
        }

        if (ExpireAfter(ttl) == wanted)
        {
            return null;
        }

        // collMod changes a TTL index's expiry in place (MongoDB 2.2+), without rebuilding it.
        var command = new BsonDocument
        {
            { "collMod", target.Collection },
            { "index", new BsonDocument { { "name", target.Name }, { "expireAfterSeconds", wanted.Value } } },
        };
        await mongo.Database.RunCommandAsync<BsonDocument>(command, cancellationToken: cancellationToken).ConfigureAwait(false);
        return $"retention changed: {target.What} are deleted after {mongo.Options.MessageRetentionDays} days";
    }
}
