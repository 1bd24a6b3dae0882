namespace StreamingChat.Core;

/// <summary>What an event costs an answer log held in memory, for its size limit.</summary>
internal static class AnswerEventSize
{
    /// <summary>What an event costs the log, roughly: its text as UTF-16 and its audio, plus a fixed part.</summary>
    public static long Of(in AnswerEvent streamEvent) => streamEvent.Kind switch
    {
        AnswerEventKind.Token => 32 + (2L * streamEvent.Text!.Length),
        AnswerEventKind.Audio => 64 + (2L * streamEvent.Audio!.Text.Length) + streamEvent.Audio.Data.Length,
        AnswerEventKind.Reasoning => 32 + (2L * streamEvent.Text!.Length),
        AnswerEventKind.ToolCall => 128 + (2L * streamEvent.ToolCall!.Input.GetRawText().Length),
        AnswerEventKind.ToolResult => 128 + (2L * ((streamEvent.ToolResult!.Output?.GetRawText().Length ?? 0) + (streamEvent.ToolResult.Error?.Length ?? 0))),
        AnswerEventKind.ApprovalRequest => 160 + (2L * streamEvent.ApprovalRequest!.Input.GetRawText().Length),
        AnswerEventKind.Source => 96 + (2L * (streamEvent.Source!.Url.Length + (streamEvent.Source.Title?.Length ?? 0))),
        AnswerEventKind.Start or AnswerEventKind.Done or AnswerEventKind.Error => 256,
        _ => throw new ArgumentOutOfRangeException(nameof(streamEvent), streamEvent.Kind, "An event kind the log cannot size; every kind must be listed."),
    };
}
