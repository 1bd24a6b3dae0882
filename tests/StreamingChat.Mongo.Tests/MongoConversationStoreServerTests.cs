using StreamingChat.Core;

namespace StreamingChat.Mongo.Tests;

[Collection(MongoCollection.Name)]
public sealed class MongoConversationStoreServerTests(MongoFixture fixture)
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    private static ConversationMessage Turn(string id, string session, ConversationRole role, string content, int second, MessageStatus status = MessageStatus.Complete) => new()
    {
        MessageId = id,
        SessionId = session,
        ChatbotId = "demo",
        Role = role,
        Content = content,
        Status = status,
        CreatedAt = T0.AddSeconds(second),
    };

    [Fact]
    public async Task GetRecent_ReturnsNewestTurnsOldestFirst_OnlyOfThatSession()
    {
        using var mongo = fixture.NewMongo("recent");
        var store = new MongoConversationStore(mongo);
        for (var i = 0; i < 6; i++)
        {
            await store.AppendAsync([Turn($"m{i}", "s1", i % 2 == 0 ? ConversationRole.User : ConversationRole.Assistant, $"turn {i}", i)]);
        }

        await store.AppendAsync([Turn("other", "s2", ConversationRole.User, "elsewhere", 3)]);

        var recent = await store.GetRecentAsync("s1", null, 4);

        Assert.Equal(["turn 2", "turn 3", "turn 4", "turn 5"], recent.Select(m => m.Content));
        Assert.Empty(await store.GetRecentAsync("s1", null, 0));
        Assert.Empty(await store.GetRecentAsync("nobody", null, 10));
    }

    [Fact]
    public async Task Append_SameMessageId_ReplacesTheTurn_WithEveryFieldKept()
    {
        using var mongo = fixture.NewMongo("replace");
        var store = new MongoConversationStore(mongo);
        await store.AppendAsync([Turn("a1", "s1", ConversationRole.Assistant, "Hel", 1, MessageStatus.Interrupted)]);
        var final = Turn("a1", "s1", ConversationRole.Assistant, "Hello there", 1) with
        {
            Usage = new AnswerUsage(12, 3),
            FirstTokenMs = 183,
            TotalMs = 402,
            Model = "fake-model",
            ErrorCode = null,
        };
        await store.AppendAsync([final]);

        var stored = Assert.Single(await store.GetRecentAsync("s1", null, 10));

        Assert.Equal(final, stored);
    }

    [Fact]
    public async Task GetMessage_ReadsOneTurnByItsId_WithAStoppedStatus_AndNullWhenThereIsNone()
    {
        using var mongo = fixture.NewMongo("message");
        var store = new MongoConversationStore(mongo);
        var stopped = Turn("a1", "s1", ConversationRole.Assistant, "Half", 1, MessageStatus.Stopped) with { Owner = "key:o" };
        await store.AppendAsync([Turn("a1-q", "s1", ConversationRole.User, "Ask", 0), stopped]);

        Assert.Equal(stopped, await store.GetMessageAsync("a1"));
        Assert.Null(await store.GetMessageAsync("nobody"));
    }

    [Fact]
    public async Task AnAnswersParts_RoundTrip_ToolInputAndOutputAsTheirJson()
    {
        using var mongo = fixture.NewMongo("parts");
        var store = new MongoConversationStore(mongo);
        ConversationPart[] parts =
        [
            new() { Type = ConversationPart.ReasoningType, Text = "The user asks for the time." },
            new() { Type = ConversationPart.ToolType, ToolCallId = "call_1", ToolName = "get_time", State = "output-available", Input = Json("""{"zone":"UTC"}"""), Output = Json("""{"utc":"2026-12-07T18:00:00Z","n":[1,2.5]}""") },
            new() { Type = ConversationPart.ToolType, ToolCallId = "call_2", ToolName = "open_ticket", State = "approval-requested", Input = Json("""{"title":"Printer"}"""), ApprovalId = "a1" },
            new() { Type = ConversationPart.TextType, Text = "It is six." },
            new() { Type = ConversationPart.SourceType, SourceId = "source-0", Url = "https://example.com/utc", Title = "UTC" },
        ];

        await store.AppendAsync([Turn("rich", "s1", ConversationRole.Assistant, "It is six.", 1) with { Parts = parts }]);

        var read = (await store.GetMessageAsync("rich"))!.Parts;
        Assert.Equal(parts.Select(p => (p.Type, p.Text, p.ToolCallId, p.ToolName, p.State, p.ApprovalId, p.SourceId, p.Url, p.Title)), read.Select(p => (p.Type, p.Text, p.ToolCallId, p.ToolName, p.State, p.ApprovalId, p.SourceId, p.Url, p.Title)));
        Assert.Equal(parts.Select(p => (p.Input?.GetRawText(), p.Output?.GetRawText())), read.Select(p => (p.Input?.GetRawText(), p.Output?.GetRawText())));
    }

    private static System.Text.Json.JsonElement Json(string text) => System.Text.Json.JsonDocument.Parse(text).RootElement.Clone();

    [Fact]
    public async Task Append_SeveralTurns_StoresThemInOneWrite_InOrder()
    {
        using var mongo = fixture.NewMongo("bulk");
        var store = new MongoConversationStore(mongo);
        var failed = Turn("a", "s1", ConversationRole.Assistant, "par", 2, MessageStatus.Failed) with { ErrorCode = ChatErrorCodes.UpstreamUnavailable };

        await store.AppendAsync([Turn("q", "s1", ConversationRole.User, "question", 1), failed]);

        var recent = await store.GetRecentAsync("s1", null, 10);
        Assert.Equal(["question", "par"], recent.Select(m => m.Content));
        Assert.Equal(MessageStatus.Failed, recent[1].Status);
        Assert.Equal(ChatErrorCodes.UpstreamUnavailable, recent[1].ErrorCode);
    }

    [Fact]
    public async Task Sessions_FirstClaimWins_HistoryIsReadByOwner_AndDeleteLeavesNothing()
    {
        using var mongo = fixture.NewMongo("sessions");
        var store = new MongoConversationStore(mongo);
        var mine = new ConversationSession("s1", "key:a", DateTimeOffset.UnixEpoch);

        Assert.Equal("key:a", (await store.GetOrCreateSessionAsync(mine)).Owner);
        Assert.Equal("key:a", (await store.GetOrCreateSessionAsync(mine with { Owner = "key:b" })).Owner);
        await store.AppendAsync([Turn("q", "s1", ConversationRole.User, "question", 1) with { Owner = "key:a" }, Turn("a", "s1", ConversationRole.Assistant, "answer", 2) with { Owner = "key:a" }, Turn("x", "s1", ConversationRole.User, "legacy", 3)]);

        Assert.Equal(["question", "answer"], (await store.GetRecentAsync("s1", "key:a", 10)).Select(m => m.Content));
        Assert.Equal(["question"], (await store.GetRecentAsync("s1", "key:a", 10, beforeMessageId: "a")).Select(m => m.Content));
        Assert.Empty(await store.GetRecentAsync("s1", "key:b", 10));

        Assert.True(await store.DeleteSessionAsync("s1"));
        Assert.Null(await store.GetSessionAsync("s1"));
        Assert.Empty(await store.GetRecentAsync("s1", null, 10));
    }
}
