using System.Text.Json;
using StreamingChat.Core;

namespace StreamingChat.Testing;

/// <summary>One event of each kind, for tests that put every kind through a framing, a codec or a log.</summary>
public static class AnswerEventSamples
{
    /// <summary>Every kind there is.</summary>
    public static IReadOnlyList<AnswerEventKind> Kinds { get; } = Enum.GetValues<AnswerEventKind>();

    /// <summary>One event of <paramref name="kind"/>; a kind without a sample fails the test that asks.</summary>
    public static AnswerEvent Of(AnswerEventKind kind) => kind switch
    {
        AnswerEventKind.Start => AnswerEvent.ForStart(new AnswerStart("m1", "s1", "demo", "model", Streaming: true)),
        AnswerEventKind.Token => AnswerEvent.ForToken("Hello"),
        AnswerEventKind.Audio => AnswerEvent.ForAudio(new AnswerAudio(0, "Hello.", "wav", "RIFF"u8.ToArray())),
        AnswerEventKind.Done => AnswerEvent.ForDone(new AnswerDone("stop", new AnswerUsage(1, 2), 3, 4)),
        AnswerEventKind.Error => AnswerEvent.ForError(new AnswerError(ChatErrorCodes.UpstreamTimeout, "slow", Retryable: true)),
        AnswerEventKind.Reasoning => AnswerEvent.ForReasoning("The user asks for the time, so"),
        AnswerEventKind.ToolCall => AnswerEvent.ForToolCall(new AnswerToolCall("call_1", "get_time", Json("{\"zone\":\"UTC\"}"))),
        AnswerEventKind.ToolResult => AnswerEvent.ForToolResult(new AnswerToolResult("call_1", "get_time", Json("{\"utc\":\"2026-12-07T18:00:00Z\"}"))),
        AnswerEventKind.ApprovalRequest => AnswerEvent.ForApprovalRequest(new AnswerApprovalRequest("approval_1", "call_2", "open_ticket", Json("{\"title\":\"Printer\"}"))),
        AnswerEventKind.Source => AnswerEvent.ForSource(new AnswerSource("source-0", "https://example.com/utc", "UTC")),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "A kind with no sample: add one here, and make every framing, codec and log keep it."),
    };

    /// <summary>A JSON value from its text.</summary>
    public static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
