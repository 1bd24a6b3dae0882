using System.Text.Json;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore.Tests;

/// <summary>A stored answer read again once its log has expired: its parts become the events they were.</summary>
public sealed class ReplayTests
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    private static ConversationMessage Turn(params ConversationPart[] parts) => new()
    {
        MessageId = "m1",
        SessionId = "s1",
        ChatbotId = "demo",
        Role = ConversationRole.Assistant,
        Content = string.Concat(parts.Where(p => p.Type == ConversationPart.TextType).Select(p => p.Text)),
        Parts = parts,
    };

    [Fact]
    public void ATextOnlyAnswer_IsStartOneTokenDone()
    {
        var turn = Turn() with { Content = "Hello." };

        var replay = AnswerRelay.Replay(turn);

        Assert.Equal([AnswerEventKind.Start, AnswerEventKind.Token, AnswerEventKind.Done], replay.Select(e => e.Kind));
        Assert.Equal("Hello.", replay[1].Text);
    }

    [Fact]
    public void ARichAnswer_IsItsPartsInOrder_TheTextTheStoredContent()
    {
        var turn = Turn(
            new ConversationPart { Type = ConversationPart.ReasoningType, Text = "Time, so the tool." },
            new ConversationPart { Type = ConversationPart.ToolType, ToolCallId = "c1", ToolName = "get_time", State = "output-available", Input = Json("""{"zone":"UTC"}"""), Output = Json("""{"utc":"x"}""") },
            new ConversationPart { Type = ConversationPart.TextType, Text = "It is " },
            new ConversationPart { Type = ConversationPart.SourceType, SourceId = "source-0", Url = "https://example.com/utc" },
            new ConversationPart { Type = ConversationPart.TextType, Text = "six." });

        var replay = AnswerRelay.Replay(turn);

        Assert.Equal(
            [AnswerEventKind.Start, AnswerEventKind.Reasoning, AnswerEventKind.ToolCall, AnswerEventKind.ToolResult, AnswerEventKind.Token, AnswerEventKind.Source, AnswerEventKind.Token, AnswerEventKind.Done],
            replay.Select(e => e.Kind));
        Assert.Equal(turn.Content, string.Concat(replay.Where(e => e.Kind == AnswerEventKind.Token).Select(e => e.Text)));
        Assert.Equal("stop", replay[^1].Done!.FinishReason);
    }

    [Fact]
    public void AnAnswerThatWaitsForApproval_IsItsRequest_AndEndsApprovalRequired()
    {
        var turn = Turn(new ConversationPart { Type = ConversationPart.ToolType, ToolCallId = "c2", ToolName = "open_ticket", State = "approval-requested", ApprovalId = "a1", Input = Json("""{"title":"Printer"}""") });

        var replay = AnswerRelay.Replay(turn);

        Assert.Equal([AnswerEventKind.Start, AnswerEventKind.ApprovalRequest, AnswerEventKind.Done], replay.Select(e => e.Kind));
        Assert.Equal(("a1", "approval_required"), (replay[1].ApprovalRequest!.ApprovalId, replay[^1].Done!.FinishReason));
    }
}
