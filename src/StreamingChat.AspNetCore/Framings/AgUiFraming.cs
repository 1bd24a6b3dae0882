using System.Buffers;
using System.Globalization;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>
/// AG-UI's events (as <c>@ag-ui/client</c>'s <c>HttpAgent</c> reads them): <c>RUN_STARTED</c>; the answer's text as
/// <c>TEXT_MESSAGE_START</c> / <c>TEXT_MESSAGE_CONTENT</c> (never an empty delta) / <c>TEXT_MESSAGE_END</c>; reasoning as
/// <c>REASONING_START</c>, <c>REASONING_MESSAGE_START</c> / <c>_CONTENT</c> / <c>_END</c>, <c>REASONING_END</c>; each tool
/// call as <c>TOOL_CALL_START</c>, <c>TOOL_CALL_ARGS</c> (the whole input), <c>TOOL_CALL_END</c> and its
/// <c>TOOL_CALL_RESULT</c>; sources, spoken sentences and approval requests as <c>CUSTOM</c> (<c>source</c>, <c>audio</c>,
/// <c>approval_request</c>); then exactly one
/// of <c>RUN_FINISHED</c> (the answer's finish reason, usage and latency in <c>result</c>; an <c>interrupt</c> outcome
/// naming each approval the answer waits for) or <c>RUN_ERROR</c> (with our error <c>code</c>). In the order the client's
/// verifier demands: one message open at a time, each ended before the next begins and before the run ends, and nothing
/// after the run's end. The first text message carries the answer's id; later ones (after a tool) the answer's id and the
/// log id that opened them, so every read of an answer names its messages alike.
/// </summary>
internal sealed class AgUiFraming(string threadId, string runId) : JsonDataFraming, IEventStreamDescription
{
    /// <inheritdoc/>
    public static string EventsDescription => "RUN_STARTED, TEXT_MESSAGE_*, REASONING_*, TOOL_CALL_START/ARGS/END/RESULT, CUSTOM (source, audio, approval_request), then RUN_FINISHED (an interrupt outcome for approvals) or RUN_ERROR";

    private string? _answerId;
    private bool _firstTextUsed;
    private string? _textId;
    private string? _reasoningId;
    private List<AnswerApprovalRequest>? _approvals;
    private HashSet<string>? _calls;

    public override void WriteEvent(IBufferWriter<byte> output, long id, in AnswerEvent streamEvent)
    {
        // Over 60 lines: one explicit case per event kind and a throw for any other: a kind forgotten here must fail, not fall into a helper.
        switch (streamEvent.Kind)
        {
            case AnswerEventKind.Start:
                var json = Begin(output);
                json.WriteString("type"u8, "RUN_STARTED"u8);
                json.WriteString("threadId"u8, threadId);
                json.WriteString("runId"u8, runId);
                End(output, json);
                _answerId = streamEvent.Start!.MessageId;
                break;
            case AnswerEventKind.Token when streamEvent.Text!.Length == 0 || _answerId is null:
                break; // AG-UI has no empty delta, and no content outside a run
            case AnswerEventKind.Token:
                EndReasoning(output);
                _textId ??= OpenText(output, id);
                WriteContent(output, "TEXT_MESSAGE_CONTENT"u8, _textId, streamEvent.Text);
                break;
            case AnswerEventKind.Reasoning when streamEvent.Text!.Length == 0 || _answerId is null:
                break;
            case AnswerEventKind.Reasoning:
                EndText(output);
                _reasoningId ??= OpenReasoning(output, id);
                WriteContent(output, "REASONING_MESSAGE_CONTENT"u8, _reasoningId, streamEvent.Text);
                break;
            case AnswerEventKind.ToolCall:
                EndMessages(output);
                WriteToolCall(output, streamEvent.ToolCall!);
                break;
            case AnswerEventKind.ToolResult:
                EndMessages(output);
                var result = streamEvent.ToolResult!;
                json = Begin(output);
                json.WriteString("type"u8, "TOOL_CALL_RESULT"u8);
                json.WriteString("messageId"u8, _answerId + "-tool-" + result.ToolCallId);
                json.WriteString("toolCallId"u8, result.ToolCallId);
                json.WriteString("content"u8, result.Error is not null ? "Error: " + result.Error : result.Output?.GetRawText() ?? "null");
                json.WriteString("role"u8, "tool"u8);
                End(output, json);
                break;
            case AnswerEventKind.ApprovalRequest:
                EndMessages(output);
                // Shown as it comes (CUSTOM approval_request), and named in RUN_FINISHED's interrupt outcome, which is how AG-UI
                // asks a person and how the next run's `resume` answers.
                (_approvals ??= []).Add(streamEvent.ApprovalRequest!);
                var waiting = streamEvent.ApprovalRequest!;
                WriteToolCall(output, new AnswerToolCall(waiting.ToolCallId, waiting.ToolName, waiting.Input));
                json = Begin(output);
                json.WriteString("type"u8, "CUSTOM"u8);
                json.WriteString("name"u8, "approval_request"u8);
                json.WriteStartObject("value"u8);
                ChatJson.WriteApprovalRequest(json, streamEvent.ApprovalRequest!);
                json.WriteEndObject();
                End(output, json);
                break;
            case AnswerEventKind.Source:
                json = Begin(output);
                json.WriteString("type"u8, "CUSTOM"u8);
                json.WriteString("name"u8, "source"u8);
                json.WriteStartObject("value"u8);
                ChatJson.WriteSource(json, streamEvent.Source!);
                json.WriteEndObject();
                End(output, json);
                break;
            case AnswerEventKind.Audio:
                json = Begin(output);
                json.WriteString("type"u8, "CUSTOM"u8);
                json.WriteString("name"u8, "audio"u8);
                json.WriteStartObject("value"u8);
                if (_textId is not null)
                {
                    json.WriteString("messageId"u8, _textId);
                }

                ChatJson.WriteAudio(json, streamEvent.Audio!);
                json.WriteEndObject();
                End(output, json);
                break;
            case AnswerEventKind.Done:
                EndMessages(output);
                WriteRunFinished(output, streamEvent.Done!);
                break;
            case AnswerEventKind.Error:
                EndMessages(output);
                var error = streamEvent.Error!;
                json = Begin(output);
                json.WriteString("type"u8, "RUN_ERROR"u8);
                json.WriteString("message"u8, error.Message);
                json.WriteString("code"u8, error.Code);
                End(output, json);
                break;
            default:
                throw Unknown(streamEvent.Kind);
        }
    }

    private void WriteRunFinished(IBufferWriter<byte> output, AnswerDone done)
    {
        var json = Begin(output);
        json.WriteString("type"u8, "RUN_FINISHED"u8);
        json.WriteString("threadId"u8, threadId);
        json.WriteString("runId"u8, runId);
        json.WriteStartObject("result"u8);
        json.WriteString("finishReason"u8, done.FinishReason);
        json.WritePropertyName("usage"u8);
        ChatJson.WriteUsage(json, done.Usage);
        ChatJson.WriteNullableNumber(json, "firstTokenMs"u8, done.FirstTokenMs);
        json.WriteNumber("totalMs"u8, done.TotalMs);
        json.WriteEndObject();
        if (_approvals is { Count: > 0 } approvals)
        {
            // The run waits for a person: each approval is an interrupt, answered by the next run's `resume`.
            json.WriteStartObject("outcome"u8);
            json.WriteString("type"u8, "interrupt"u8);
            json.WriteStartArray("interrupts"u8);
            foreach (var approval in approvals)
            {
                json.WriteStartObject();
                json.WriteString("id"u8, approval.ApprovalId);
                json.WriteString("reason"u8, "tool_approval"u8);
                json.WriteString("message"u8, "Approve running " + approval.ToolName + "?");
                json.WriteString("toolCallId"u8, approval.ToolCallId);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        End(output, json);
    }

    private void WriteToolCall(IBufferWriter<byte> output, AnswerToolCall call)
    {
        if (!(_calls ??= new(StringComparer.Ordinal)).Add(call.ToolCallId))
        {
            return; // given already (a call that waits for approval may be logged as a call too)
        }

        var json = Begin(output);
        json.WriteString("type"u8, "TOOL_CALL_START"u8);
        json.WriteString("toolCallId"u8, call.ToolCallId);
        json.WriteString("toolCallName"u8, call.ToolName);
        if (_answerId is not null)
        {
            json.WriteString("parentMessageId"u8, _answerId);
        }

        End(output, json);
        json = Begin(output);
        json.WriteString("type"u8, "TOOL_CALL_ARGS"u8);
        json.WriteString("toolCallId"u8, call.ToolCallId);
        json.WriteString("delta"u8, call.Input.GetRawText());
        End(output, json);
        json = Begin(output);
        json.WriteString("type"u8, "TOOL_CALL_END"u8);
        json.WriteString("toolCallId"u8, call.ToolCallId);
        End(output, json);
    }

    private void WriteContent(IBufferWriter<byte> output, ReadOnlySpan<byte> type, string messageId, string? delta)
    {
        var json = Begin(output);
        json.WriteString("type"u8, type);
        json.WriteString("messageId"u8, messageId);
        json.WriteString("delta"u8, delta);
        End(output, json);
    }

    private string OpenText(IBufferWriter<byte> output, long id)
    {
        var messageId = _firstTextUsed ? _answerId + "-" + id.ToString(CultureInfo.InvariantCulture) : _answerId!;
        _firstTextUsed = true;
        var json = Begin(output);
        json.WriteString("type"u8, "TEXT_MESSAGE_START"u8);
        json.WriteString("messageId"u8, messageId);
        json.WriteString("role"u8, "assistant"u8);
        End(output, json);
        return messageId;
    }

    private string OpenReasoning(IBufferWriter<byte> output, long id)
    {
        var messageId = _answerId + "-reasoning-" + id.ToString(CultureInfo.InvariantCulture);
        var json = Begin(output);
        json.WriteString("type"u8, "REASONING_START"u8);
        json.WriteString("messageId"u8, messageId);
        End(output, json);
        json = Begin(output);
        json.WriteString("type"u8, "REASONING_MESSAGE_START"u8);
        json.WriteString("messageId"u8, messageId);
        json.WriteString("role"u8, "reasoning"u8);
        End(output, json);
        return messageId;
    }

    private void EndMessages(IBufferWriter<byte> output)
    {
        EndText(output);
        EndReasoning(output);
    }

    private void EndText(IBufferWriter<byte> output)
    {
        if (_textId is null)
        {
            return;
        }

        WriteId(output, "TEXT_MESSAGE_END"u8, _textId);
        _textId = null;
    }

    private void EndReasoning(IBufferWriter<byte> output)
    {
        if (_reasoningId is null)
        {
            return;
        }

        WriteId(output, "REASONING_MESSAGE_END"u8, _reasoningId);
        WriteId(output, "REASONING_END"u8, _reasoningId);
        _reasoningId = null;
    }

    private void WriteId(IBufferWriter<byte> output, ReadOnlySpan<byte> type, string messageId)
    {
        var json = Begin(output);
        json.WriteString("type"u8, type);
        json.WriteString("messageId"u8, messageId);
        End(output, json);
    }
}
