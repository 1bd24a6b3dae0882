using System.Buffers;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>
/// AG-UI's events (as <c>@ag-ui/client</c>'s <c>HttpAgent</c> reads them): <c>RUN_STARTED</c>, <c>TEXT_MESSAGE_START</c>,
/// <c>TEXT_MESSAGE_CONTENT</c> (never an empty delta), <c>CUSTOM</c> <c>audio</c> for spoken sentences,
/// <c>TEXT_MESSAGE_END</c>, then exactly one of <c>RUN_FINISHED</c> (the answer's finish reason, usage and latency in
/// <c>result</c>) or <c>RUN_ERROR</c> (with our error <c>code</c>), in the order the client's verifier demands: the message
/// is ended before the run ends, and nothing follows the run's end.
/// </summary>
internal sealed class AgUiFraming(string threadId, string runId) : JsonDataFraming, IEventStreamDescription
{
    /// <inheritdoc/>
    public static string EventsDescription => "RUN_STARTED, TEXT_MESSAGE_START, TEXT_MESSAGE_CONTENT…, TEXT_MESSAGE_END, then RUN_FINISHED or RUN_ERROR";

    private string? _messageId;

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
                _messageId = streamEvent.Start!.MessageId;
                json = Begin(output);
                json.WriteString("type"u8, "TEXT_MESSAGE_START"u8);
                json.WriteString("messageId"u8, _messageId);
                json.WriteString("role"u8, "assistant"u8);
                End(output, json);
                break;
            case AnswerEventKind.Token when streamEvent.Text!.Length == 0 || _messageId is null:
                break; // AG-UI has no empty delta, and no content outside a message
            case AnswerEventKind.Token:
                json = Begin(output);
                json.WriteString("type"u8, "TEXT_MESSAGE_CONTENT"u8);
                json.WriteString("messageId"u8, _messageId);
                json.WriteString("delta"u8, streamEvent.Text);
                End(output, json);
                break;
            case AnswerEventKind.Audio:
                json = Begin(output);
                json.WriteString("type"u8, "CUSTOM"u8);
                json.WriteString("name"u8, "audio"u8);
                json.WriteStartObject("value"u8);
                if (_messageId is not null)
                {
                    json.WriteString("messageId"u8, _messageId);
                }

                ChatJson.WriteAudio(json, streamEvent.Audio!);
                json.WriteEndObject();
                End(output, json);
                break;
            case AnswerEventKind.Done:
                EndMessage(output);
                var done = streamEvent.Done!;
                json = Begin(output);
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
                End(output, json);
                break;
            case AnswerEventKind.Error:
                EndMessage(output);
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

    private void EndMessage(IBufferWriter<byte> output)
    {
        if (_messageId is null)
        {
            return;
        }

        var json = Begin(output);
        json.WriteString("type"u8, "TEXT_MESSAGE_END"u8);
        json.WriteString("messageId"u8, _messageId);
        End(output, json);
        _messageId = null;
    }
}
