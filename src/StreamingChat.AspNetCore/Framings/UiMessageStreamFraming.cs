using System.Buffers;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>
/// The Vercel AI SDK's UI message stream (protocol <c>v1</c>, as <c>useChat</c>'s <c>DefaultChatTransport</c> reads it):
/// <c>start</c> (with the answer's <c>messageId</c>), then one step per model call (<c>start-step</c> … <c>finish-step</c>)
/// holding <c>reasoning-start</c> / <c>-delta</c> / <c>-end</c>, <c>text-start</c> / <c>text-delta</c> / <c>text-end</c>,
/// <c>tool-input-start</c> and <c>tool-input-available</c>, <c>tool-output-available</c> or <c>tool-output-error</c>,
/// <c>tool-approval-request</c> and <c>source-url</c>, with <c>data-audio</c> parts (id <c>audio-{seq}</c>) for spoken
/// sentences; then <c>finish</c> (usage and latency in <c>messageMetadata</c>) or <c>error</c> (<c>errorText</c>), then
/// <c>data: [DONE]</c>. A part's id is the log id of the event that opened it, so every read of an answer names its parts
/// alike. No member the SDK's chunk schemas do not know: older clients reject them.
/// </summary>
internal sealed class UiMessageStreamFraming : JsonDataFraming, IEventStreamDescription
{
    /// <inheritdoc/>
    public static string EventsDescription => "UI message stream v1 parts (start, start-step, reasoning-*, text-*, tool-*, source-url, finish-step…, finish or error), then [DONE]";

    private string? _textId;
    private string? _reasoningId;
    private bool _stepOpen;
    private HashSet<string>? _calls;

    public override void ApplyHeaders(HttpResponse response)
    {
        base.ApplyHeaders(response);
        response.Headers["x-vercel-ai-ui-message-stream"] = "v1";
    }

    public override void WriteEvent(IBufferWriter<byte> output, long id, in AnswerEvent streamEvent)
    {
        // Over 60 lines: one explicit case per event kind and a throw for any other: a kind forgotten here must fail, not fall into a helper.
        switch (streamEvent.Kind)
        {
            case AnswerEventKind.Start:
                var json = Begin(output);
                json.WriteString("type"u8, "start"u8);
                // A continuation goes on with the paused answer's message, as the SDK's approval flow expects.
                json.WriteString("messageId"u8, streamEvent.Start!.Continues ?? streamEvent.Start.MessageId);
                End(output, json);
                OpenStep(output);
                break;
            case AnswerEventKind.Token when streamEvent.Text!.Length == 0:
                break; // the SDK has no empty delta
            case AnswerEventKind.Token:
                OpenStep(output);
                CloseReasoning(output);
                WriteDelta(output, "text-delta"u8, _textId ??= Open(output, "text-start"u8, "text-", id), streamEvent.Text);
                break;
            case AnswerEventKind.Reasoning when streamEvent.Text!.Length == 0:
                break;
            case AnswerEventKind.Reasoning:
                OpenStep(output);
                CloseText(output);
                WriteDelta(output, "reasoning-delta"u8, _reasoningId ??= Open(output, "reasoning-start"u8, "reasoning-", id), streamEvent.Text);
                break;
            case AnswerEventKind.ToolCall:
                OpenStep(output);
                ClosePieces(output);
                WriteToolInput(output, streamEvent.ToolCall!);
                break;
            case AnswerEventKind.ToolResult:
                OpenStep(output);
                ClosePieces(output);
                WriteToolOutput(output, streamEvent.ToolResult!);
                CloseStep(output); // the model is asked again with the result: the next part is the next step's
                break;
            case AnswerEventKind.ApprovalRequest:
                OpenStep(output);
                ClosePieces(output);
                var request = streamEvent.ApprovalRequest!;

                // The SDK asks for approval on a tool part it has: the call that waits is given first, with its input.
                WriteToolInput(output, new AnswerToolCall(request.ToolCallId, request.ToolName, request.Input));
                json = Begin(output);
                json.WriteString("type"u8, "tool-approval-request"u8);
                json.WriteString("approvalId"u8, request.ApprovalId);
                json.WriteString("toolCallId"u8, request.ToolCallId);
                End(output, json);
                break;
            case AnswerEventKind.Source:
                OpenStep(output);
                var source = streamEvent.Source!;
                json = Begin(output);
                json.WriteString("type"u8, "source-url"u8);
                json.WriteString("sourceId"u8, source.SourceId);
                json.WriteString("url"u8, source.Url);
                if (source.Title is not null)
                {
                    json.WriteString("title"u8, source.Title);
                }

                End(output, json);
                break;
            case AnswerEventKind.Audio:
                var audio = streamEvent.Audio!;
                json = Begin(output);
                json.WriteString("type"u8, "data-audio"u8);
                json.WriteString("id"u8, "audio-" + audio.Seq.ToString(CultureInfo.InvariantCulture));
                json.WriteStartObject("data"u8);
                ChatJson.WriteAudio(json, audio);
                json.WriteEndObject();
                End(output, json);
                break;
            case AnswerEventKind.Done:
                ClosePieces(output);
                CloseStep(output);
                WriteFinish(output, streamEvent.Done!);
                output.Write("data: [DONE]\n\n"u8);
                break;
            case AnswerEventKind.Error:
                ClosePieces(output);
                json = Begin(output);
                json.WriteString("type"u8, "error"u8);
                json.WriteString("errorText"u8, streamEvent.Error!.Message + " (" + streamEvent.Error.Code + ")");
                End(output, json);
                output.Write("data: [DONE]\n\n"u8);
                break;
            default:
                throw Unknown(streamEvent.Kind);
        }
    }

    /// <summary>The SDK's finish reasons: the model's, spelt its way; a stop by the caller is <c>other</c> (ours is in the metadata).</summary>
    private static string FinishReason(string reason) => reason switch
    {
        "stop" or "length" or "error" or "other" => reason,
        "content_filter" => "content-filter",
        "tool_calls" => "tool-calls",
        _ => "other",
    };

    private void WriteFinish(IBufferWriter<byte> output, AnswerDone done)
    {
        var json = Begin(output);
        json.WriteString("type"u8, "finish"u8);
        json.WriteString("finishReason"u8, FinishReason(done.FinishReason));
        json.WriteStartObject("messageMetadata"u8);
        json.WritePropertyName("usage"u8);
        ChatJson.WriteUsage(json, done.Usage);
        ChatJson.WriteNullableNumber(json, "firstTokenMs"u8, done.FirstTokenMs);
        json.WriteNumber("totalMs"u8, done.TotalMs);
        json.WriteString("finishReason"u8, done.FinishReason);
        json.WriteEndObject();
        End(output, json);
    }

    private void WriteToolInput(IBufferWriter<byte> output, AnswerToolCall call)
    {
        if (!(_calls ??= new(StringComparer.Ordinal)).Add(call.ToolCallId))
        {
            return; // given already (a call that waits for approval may be logged as a call too)
        }

        var json = Begin(output);
        json.WriteString("type"u8, "tool-input-start"u8);
        json.WriteString("toolCallId"u8, call.ToolCallId);
        json.WriteString("toolName"u8, call.ToolName);
        End(output, json);
        json = Begin(output);
        json.WriteString("type"u8, "tool-input-available"u8);
        json.WriteString("toolCallId"u8, call.ToolCallId);
        json.WriteString("toolName"u8, call.ToolName);
        json.WritePropertyName("input"u8);
        call.Input.WriteTo(json);
        End(output, json);
    }

    private void WriteToolOutput(IBufferWriter<byte> output, AnswerToolResult result)
    {
        var json = Begin(output);
        if (result.Error is not null)
        {
            json.WriteString("type"u8, "tool-output-error"u8);
            json.WriteString("toolCallId"u8, result.ToolCallId);
            json.WriteString("errorText"u8, result.Error);
        }
        else
        {
            json.WriteString("type"u8, "tool-output-available"u8);
            json.WriteString("toolCallId"u8, result.ToolCallId);
            json.WritePropertyName("output"u8);
            ChatJson.WriteJsonOrNull(json, result.Output);
        }

        End(output, json);
    }

    private void WriteDelta(IBufferWriter<byte> output, ReadOnlySpan<byte> type, string partId, string? delta)
    {
        var json = Begin(output);
        json.WriteString("type"u8, type);
        json.WriteString("id"u8, partId);
        json.WriteString("delta"u8, delta);
        End(output, json);
    }

    /// <summary>Opens a text or reasoning part named after the log id of the event that opens it.</summary>
    private string Open(IBufferWriter<byte> output, ReadOnlySpan<byte> type, string prefix, long id)
    {
        var partId = prefix + id.ToString(CultureInfo.InvariantCulture);
        var json = Begin(output);
        json.WriteString("type"u8, type);
        json.WriteString("id"u8, partId);
        End(output, json);
        return partId;
    }

    private void OpenStep(IBufferWriter<byte> output)
    {
        if (!_stepOpen)
        {
            _stepOpen = true;
            WriteTypeOnly(output, "start-step"u8);
        }
    }

    private void CloseStep(IBufferWriter<byte> output)
    {
        if (_stepOpen)
        {
            _stepOpen = false;
            WriteTypeOnly(output, "finish-step"u8);
        }
    }

    private void ClosePieces(IBufferWriter<byte> output)
    {
        CloseText(output);
        CloseReasoning(output);
    }

    private void CloseText(IBufferWriter<byte> output)
    {
        if (_textId is not null)
        {
            Close(output, "text-end"u8, _textId);
            _textId = null;
        }
    }

    private void CloseReasoning(IBufferWriter<byte> output)
    {
        if (_reasoningId is not null)
        {
            Close(output, "reasoning-end"u8, _reasoningId);
            _reasoningId = null;
        }
    }

    private void Close(IBufferWriter<byte> output, ReadOnlySpan<byte> type, string partId)
    {
        var json = Begin(output);
        json.WriteString("type"u8, type);
        json.WriteString("id"u8, partId);
        End(output, json);
    }
}
