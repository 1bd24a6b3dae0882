using Microsoft.Extensions.Options;

namespace StreamingChat.Core.Tests;

public sealed class InMemoryStoresTests
{
    private static ConversationMessage Turn(string id, string session = "s", string content = "x")
        => new() { MessageId = id, SessionId = session, ChatbotId = "demo", Role = ConversationRole.User, Content = content };

    [Fact]
    public async Task ConversationStore_GetRecent_ReturnsNewestInOrder()
    {
        var store = new InMemoryConversationStore(Options.Create(new ChatStreamOptions()));
        await store.AppendAsync([Turn("1"), Turn("2"), Turn("3"), Turn("other", session: "t")]);

        Assert.Equal(["2", "3"], (await store.GetRecentAsync("s", 2)).Select(m => m.MessageId));
        Assert.Empty(await store.GetRecentAsync("nobody", 5));
        Assert.Empty(await store.GetRecentAsync("s", 0));
    }

    [Fact]
    public async Task ConversationStore_SameMessageId_Replaces()
    {
        var store = new InMemoryConversationStore(Options.Create(new ChatStreamOptions()));
        await store.AppendAsync([Turn("1", content: "partial")]);
        await store.AppendAsync([Turn("1", content: "whole")]);

        Assert.Equal("whole", Assert.Single(await store.GetRecentAsync("s", 5)).Content);
    }

    [Fact]
    public async Task ConversationStore_GetMessage_FindsAKeptTurnById_AndForgetsWhatWasTrimmedOrDeleted()
    {
        var store = new InMemoryConversationStore(Options.Create(new ChatStreamOptions { InMemoryMessagesPerSession = 2, InMemorySessions = 2 }));
        await store.AppendAsync([Turn("1"), Turn("2"), Turn("3"), Turn("t1", session: "t")]);
        await store.AppendAsync([Turn("2", content: "replaced")]);

        Assert.Null(await store.GetMessageAsync("1")); // trimmed: the session keeps two
        Assert.Equal("replaced", (await store.GetMessageAsync("2"))?.Content);
        Assert.Equal("t", (await store.GetMessageAsync("t1"))?.SessionId);

        await store.DeleteSessionAsync("s");
        Assert.Null(await store.GetMessageAsync("3"));
        await store.AppendAsync([Turn("u1", session: "u"), Turn("v1", session: "v")]); // t is forgotten: two sessions kept
        Assert.Null(await store.GetMessageAsync("t1"));
        Assert.NotNull(await store.GetMessageAsync("v1"));
    }

    [Fact]
    public async Task ConversationStore_KeepsAtMostTheCapPerSession()
    {
        var store = new InMemoryConversationStore(Options.Create(new ChatStreamOptions { InMemoryMessagesPerSession = 3 }));
        await store.AppendAsync([.. Enumerable.Range(0, 10).Select(i => Turn(i.ToString(System.Globalization.CultureInfo.InvariantCulture)))]);

        Assert.Equal(["7", "8", "9"], (await store.GetRecentAsync("s", 100)).Select(m => m.MessageId));
    }

    [Fact]
    public async Task ConversationStore_PastTheSessionLimit_ForgetsTheSessionWrittenLeastRecently()
    {
        var store = new InMemoryConversationStore(Options.Create(new ChatStreamOptions { InMemorySessions = 2 }));
        await store.AppendAsync([Turn("a1", session: "a")]);
        await store.AppendAsync([Turn("b1", session: "b")]);
        await store.AppendAsync([Turn("a2", session: "a")]); // a is now the most recently written
        await store.AppendAsync([Turn("c1", session: "c")]); // b goes

        Assert.Empty(await store.GetRecentAsync("b", 5));
        Assert.Equal(["a1", "a2"], (await store.GetRecentAsync("a", 5)).Select(m => m.MessageId));
        Assert.Equal(["c1"], (await store.GetRecentAsync("c", 5)).Select(m => m.MessageId));

        await store.AppendAsync([Turn("b2", session: "b")]); // a goes: c was written after it
        Assert.Empty(await store.GetRecentAsync("a", 5));
        Assert.Equal(["b2"], (await store.GetRecentAsync("b", 5)).Select(m => m.MessageId));
    }

    [Fact]
    public async Task ChatbotStore_NothingConfigured_SeedsDemo()
    {
        var store = new InMemoryChatbotStore(Options.Create(new ChatbotSeedOptions()));

        var demo = await store.GetAsync("demo");
        Assert.NotNull(demo);
        Assert.True(demo.Enabled);
        Assert.Equal(["demo"], (await store.ListAsync()).Select(c => c.Id));
    }

    [Fact]
    public async Task ChatbotStore_Configured_SeedsThoseAndUpsertReplaces()
    {
        var store = new InMemoryChatbotStore(Options.Create(new ChatbotSeedOptions
        {
            Chatbots = { ["b"] = new ChatbotSeed { Name = "B", SystemPrompt = "p" }, ["a"] = new ChatbotSeed() },
        }));

        Assert.Equal(["a", "b"], (await store.ListAsync()).Select(c => c.Id));
        Assert.Null(await store.GetAsync("demo"));
        Assert.Equal("a", (await store.GetAsync("a"))!.Name);

        await store.UpsertAsync(new ChatbotDefinition { Id = "a", Name = "A2", Enabled = false });
        Assert.False((await store.GetAsync("a"))!.Enabled);
    }

    [Fact]
    public void SeedValidator_RejectsBadIdsAndSettings()
    {
        var result = new ChatbotSeedOptionsValidator().Validate(null, new ChatbotSeedOptions
        {
            Chatbots =
            {
                ["bad id!"] = new ChatbotSeed(),
                ["hot"] = new ChatbotSeed { Temperature = 3 },
                ["ok"] = new ChatbotSeed(),
            },
        });

        Assert.True(result.Failed);
        Assert.Equal(2, result.Failures!.Count());
        Assert.Contains(result.Failures!, f => f.Contains("bad id!", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("hot:Temperature", StringComparison.Ordinal));
    }
}
