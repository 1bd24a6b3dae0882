using MongoDB.Driver;

namespace StreamingChat.Mongo.Tests;

[Collection(MongoCollection.Name)]
public sealed class MongoMigratorServerTests(MongoFixture fixture)
{
    [Fact]
    public async Task Verify_BeforeMigrate_ReportsEveryIndexMissing_AndEveryMigrationPending()
    {
        using var mongo = fixture.NewMongo("fresh");
        var migrator = new MongoMigrator(mongo);

        var checks = await migrator.VerifyIndexesAsync();

        Assert.Equal(["sessionId_1_createdAt_1", "chatbotId_1_createdAt_1", "owner_1_sessionId_1_createdAt_1"], checks.Select(c => c.Name));
        Assert.All(checks, c => Assert.Equal(IndexState.Missing, c.State));
        Assert.Equal(["001 messages-indexes", "002 messages-status-backfill", "003 messages-owner-index", "004 chatbots-tools-and-mcp-servers"], await migrator.GetPendingAsync());
    }

    [Fact]
    public async Task Migrate_Twice_SecondRunIsANoOp_AndIndexesVerify()
    {
        using var mongo = fixture.NewMongo("twice");
        var migrator = new MongoMigrator(mongo);

        var first = await migrator.MigrateAsync();
        var second = await migrator.MigrateAsync();

        Assert.Equal(["001 messages-indexes", "002 messages-status-backfill", "003 messages-owner-index", "004 chatbots-tools-and-mcp-servers"], first.Applied);
        Assert.True(first.Changed);
        Assert.Empty(second.Applied);
        Assert.False(second.Changed);
        Assert.Empty(await migrator.GetPendingAsync());
        Assert.All(await migrator.VerifyIndexesAsync(), c => Assert.Equal(IndexState.Ok, c.State));
    }

    [Fact]
    public async Task Migrate_BackfillsTheStatusOfTurnsWrittenWithoutOne()
    {
        using var mongo = fixture.NewMongo("backfill");
        var legacy = mongo.Database.GetCollection<MongoDB.Bson.BsonDocument>(mongo.Options.MessagesCollection);
        await legacy.InsertOneAsync(new MongoDB.Bson.BsonDocument { { "_id", "old" }, { "sessionId", "s" }, { "chatbotId", "demo" }, { "role", "assistant" }, { "content", "hi" }, { "createdAt", DateTime.UtcNow } });

        await new MongoMigrator(mongo).MigrateAsync();

        var turn = Assert.Single(await new MongoConversationStore(mongo).GetRecentAsync("s", null, 5));
        Assert.Equal(StreamingChat.Core.MessageStatus.Complete, turn.Status);
        var raw = await legacy.Find(MongoDB.Driver.Builders<MongoDB.Bson.BsonDocument>.Filter.Eq("_id", "old")).SingleAsync();
        Assert.Equal("complete", raw["status"].AsString);
    }

    [Fact]
    public async Task Migrate_GivesChatbotsStoredBeforeToolsNoTools_AndKeepsThoseThatHaveThem()
    {
        using var mongo = fixture.NewMongo("tools");
        var raw = mongo.Database.GetCollection<MongoDB.Bson.BsonDocument>(mongo.Options.ChatbotsCollection);
        await raw.InsertOneAsync(new MongoDB.Bson.BsonDocument { { "_id", "old" }, { "name", "Old" }, { "systemPrompt", "" }, { "enabled", true }, { "updatedAt", DateTime.UtcNow } });
        var store = new MongoChatbotStore(mongo);
        await store.UpsertAsync(new StreamingChat.Core.ChatbotDefinition { Id = "new", Tools = ["get_time"], McpServers = ["orders"] });

        await new MongoMigrator(mongo).MigrateAsync();

        var old = await raw.Find(MongoDB.Driver.Builders<MongoDB.Bson.BsonDocument>.Filter.Eq("_id", "old")).SingleAsync();
        Assert.Equal((0, 0), (old["tools"].AsBsonArray.Count, old["mcpServers"].AsBsonArray.Count));
        Assert.Empty((await store.GetAsync("old"))!.Tools);
        var kept = (await store.GetAsync("new"))!;
        Assert.Equal(["get_time"], kept.Tools);
        Assert.Equal(["orders"], kept.McpServers);
    }

    [Fact]
    public async Task Retention_Configured_MigrateCreatesTheTtlIndex_AndVerifyChecksItsExpiry()
    {
        using var mongo = fixture.NewMongo("ttl", o => o.MessageRetentionDays = 30);
        var migrator = new MongoMigrator(mongo);
        var before = await migrator.VerifyIndexesAsync();
        Assert.Equal(IndexState.Missing, before.Single(c => c.Name == MongoMigrator.RetentionIndexName).State);
        Assert.Equal(("sessions", IndexState.Missing), before.Where(c => c.Name == MongoMigrator.SessionRetentionIndexName).Select(c => (c.Collection, c.State)).Single());

        var result = await migrator.MigrateAsync();

        Assert.Contains("turns are deleted after 30 days", result.Retention, StringComparison.Ordinal);
        Assert.Contains("session records are deleted after 30 days", result.Retention, StringComparison.Ordinal);
        Assert.All(await migrator.VerifyIndexesAsync(), c => Assert.Equal(IndexState.Ok, c.State));
        Assert.False((await migrator.MigrateAsync()).Changed);

        // The same database seen with another retention: the index differs, and without retention it is unexpected.
        using var longer = new StreamingChatMongo(Microsoft.Extensions.Options.Options.Create(new MongoStoreOptions { ConnectionString = mongo.Options.ConnectionString, MessageRetentionDays = 90 }));
        Assert.Equal(IndexState.Differs, (await new MongoMigrator(longer).VerifyIndexesAsync()).Single(c => c.Name == MongoMigrator.RetentionIndexName).State);
        using var none = new StreamingChatMongo(Microsoft.Extensions.Options.Options.Create(new MongoStoreOptions { ConnectionString = mongo.Options.ConnectionString }));
        Assert.Equal(IndexState.Unexpected, (await new MongoMigrator(none).VerifyIndexesAsync()).Single(c => c.Name == MongoMigrator.RetentionIndexName).State);
        Assert.Equal(IndexState.Unexpected, (await new MongoMigrator(none).VerifyIndexesAsync()).Single(c => c.Name == MongoMigrator.SessionRetentionIndexName).State);
    }
}
