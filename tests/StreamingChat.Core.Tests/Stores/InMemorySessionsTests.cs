using Microsoft.Extensions.Options;

namespace StreamingChat.Core.Tests;

public sealed class InMemorySessionsTests
{
    private static InMemoryConversationStore NewStore() => new(Options.Create(new ChatStreamOptions()));

    private static ConversationMessage Turn(string id, string sessionId, string? owner, int second) => new()
    {
        MessageId = id,
        SessionId = sessionId,
        ChatbotId = "demo",
        Owner = owner,
        Role = ConversationRole.User,
        Content = id,
        CreatedAt = DateTimeOffset.UnixEpoch.AddSeconds(second),
    };

    [Fact]
    public async Task GetOrCreate_FirstClaimWins_TheSecondGetsTheStoredOwner()
    {
        var store = NewStore();
        var mine = new ConversationSession("s", "key:a", DateTimeOffset.UnixEpoch);

        Assert.Same(mine, await store.GetOrCreateSessionAsync(mine));
        Assert.Equal("key:a", (await store.GetOrCreateSessionAsync(new ConversationSession("s", "key:b", DateTimeOffset.UnixEpoch))).Owner);
    }

    [Fact]
    public async Task GetRecent_ReadsOnlyTheOwnersTurns_AndPagesBeforeAMessage()
    {
        var store = NewStore();
        await store.AppendAsync([Turn("1", "s", "user:a", 1), Turn("2", "s", "user:a", 2), Turn("x", "s", null, 3), Turn("3", "s", "user:a", 4)]);

        Assert.Equal(["1", "2", "3"], (await store.GetRecentAsync("s", "user:a", 10)).Select(t => t.MessageId));
        Assert.Equal(["1", "2"], (await store.GetRecentAsync("s", "user:a", 2, beforeMessageId: "3")).Select(t => t.MessageId));
        Assert.Empty(await store.GetRecentAsync("s", "user:b", 10));
        Assert.Equal(4, (await store.GetRecentAsync("s", 10)).Count);
    }

    [Fact]
    public async Task Delete_RemovesTheSessionAndEveryTurn()
    {
        var store = NewStore();
        await store.AppendAsync([Turn("1", "s", "user:a", 1)]);

        Assert.True(await store.DeleteSessionAsync("s"));
        Assert.Null(await store.GetSessionAsync("s"));
        Assert.Empty(await store.GetRecentAsync("s", 10));
        Assert.False(await store.DeleteSessionAsync("s"));
    }
}
