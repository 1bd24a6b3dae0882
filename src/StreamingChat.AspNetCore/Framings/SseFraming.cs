using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>
/// Our Server-Sent Events (API.md): each event as <c>event:</c>, one <c>data:</c> line of JSON and <c>id:</c> last, the
/// <c>retry:</c> hint in the first event's block, and heartbeats as a comment line.
/// </summary>
/// <remarks>
/// Our own framing rather than <c>System.Net.ServerSentEvents.SseFormatter</c>: that formatter cannot write comment
/// lines (our heartbeats), and its flushing per event has changed between versions, while a token must never wait in
/// a buffer. Frames go straight into the response's writer through one reused <see cref="Utf8JsonWriter"/>, so a token
/// event allocates nothing beyond the token's own text. The framing follows API.md exactly: <c>retry:</c> shares the
/// first event's block, and heartbeats are a comment line with no blank line after it, because widely used clients turn
/// every blank line into a message.
/// </remarks>
internal sealed class SseFraming(int retryMs, bool withSessionKey = true) : AnswerFraming, IEventStreamDescription
{
    /// <inheritdoc/>
    public static string EventsDescription => "start, token…, reasoning, tool-call, tool-result, approval-request, source, audio (when asked for), then exactly one of done or error; ids from 0, heartbeats as comment lines";

    private static readonly JsonWriterOptions JsonOptions = new()
    {
        // Relaxed escaping is safe here: the data goes into an event stream, not into HTML, and JSON escaping
        // still turns CR and LF into \r and \n, so no data line can break the framing.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    private Utf8JsonWriter? _json;
    private int _retryMs = retryMs;

    public override void WriteEvent(IBufferWriter<byte> output, long id, in AnswerEvent streamEvent)
    {
        _json ??= new Utf8JsonWriter(output, JsonOptions);
        WriteEvent(output, _json, id, streamEvent, _retryMs, withSessionKey);
        _retryMs = -1;
    }

    /// <summary>A comment line, not followed by a blank line (API.md).</summary>
    public override void WriteHeartbeat(IBufferWriter<byte> output) => output.Write(": keep-alive\n"u8);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _json?.Dispose();
        }
    }

    /// <summary>
    /// Frames one event into <paramref name="output"/>: <c>retry:</c> when <paramref name="retryMs"/> is not negative,
    /// then <c>event:</c>, one <c>data:</c> line of JSON and <c>id:</c>, then the blank line that ends the event.
    /// </summary>
    internal static void WriteEvent(IBufferWriter<byte> output, Utf8JsonWriter json, long id, in AnswerEvent streamEvent, int retryMs = -1, bool withSessionKey = true)
    {
        if (retryMs >= 0)
        {
            output.Write("retry: "u8);
            WriteNumber(output, retryMs);
            output.Write("\n"u8);
        }

        output.Write(streamEvent.Kind switch
        {
            AnswerEventKind.Token => "event: token\ndata: "u8,
            AnswerEventKind.Start => "event: start\ndata: "u8,
            AnswerEventKind.Done => "event: done\ndata: "u8,
            AnswerEventKind.Audio => "event: audio\ndata: "u8,
            AnswerEventKind.Error => "event: error\ndata: "u8,
            AnswerEventKind.Reasoning => "event: reasoning\ndata: "u8,
            AnswerEventKind.ToolCall => "event: tool-call\ndata: "u8,
            AnswerEventKind.ToolResult => "event: tool-result\ndata: "u8,
            AnswerEventKind.ApprovalRequest => "event: approval-request\ndata: "u8,
            AnswerEventKind.Source => "event: source\ndata: "u8,
            _ => throw Unknown(streamEvent.Kind),
        });

        json.Reset(output);
        WriteData(json, streamEvent, withSessionKey);
        json.Flush();

        // The id is the event's last field: @microsoft/fetch-event-source takes an id as soon as it reads its line, so a
        // connection cut between an id written first and the blank line would resume after an event it never delivered.
        output.Write("\nid: "u8);
        WriteNumber(output, id);
        output.Write("\n\n"u8);
    }

    private static void WriteData(Utf8JsonWriter json, in AnswerEvent e, bool withSessionKey)
    {
        // Over 60 lines: one explicit case per event kind and a throw for any other: a kind forgotten here must fail, not fall into a helper.
        json.WriteStartObject();
        switch (e.Kind)
        {
            case AnswerEventKind.Token:
                json.WriteString("text"u8, e.Text);
                break;
            case AnswerEventKind.Start:
                var start = e.Start!;
                json.WriteString("messageId"u8, start.MessageId);
                json.WriteString("sessionId"u8, start.SessionId);
                json.WriteString("chatbotId"u8, start.ChatbotId);
                json.WriteString("model"u8, start.Model);
                json.WriteBoolean("streaming"u8, start.Streaming);
                if (withSessionKey && start.SessionKey is not null)
                {
                    json.WriteString("sessionKey"u8, start.SessionKey);
                }

                break;
            case AnswerEventKind.Done:
                var done = e.Done!;
                json.WriteString("finishReason"u8, done.FinishReason);
                json.WritePropertyName("usage"u8);
                ChatJson.WriteUsage(json, done.Usage);
                ChatJson.WriteNullableNumber(json, "firstTokenMs"u8, done.FirstTokenMs);
                json.WriteNumber("totalMs"u8, done.TotalMs);
                break;
            case AnswerEventKind.Audio:
                ChatJson.WriteAudio(json, e.Audio!);
                break;
            case AnswerEventKind.Error:
                var error = e.Error!;
                json.WriteString("code"u8, error.Code);
                json.WriteString("message"u8, error.Message);
                json.WriteBoolean("retryable"u8, error.Retryable);
                break;
            case AnswerEventKind.Reasoning:
                json.WriteString("text"u8, e.Text);
                break;
            case AnswerEventKind.ToolCall:
                ChatJson.WriteToolCall(json, e.ToolCall!);
                break;
            case AnswerEventKind.ToolResult:
                ChatJson.WriteToolResult(json, e.ToolResult!);
                break;
            case AnswerEventKind.ApprovalRequest:
                ChatJson.WriteApprovalRequest(json, e.ApprovalRequest!);
                break;
            case AnswerEventKind.Source:
                ChatJson.WriteSource(json, e.Source!);
                break;
            default:
                throw Unknown(e.Kind);
        }

        json.WriteEndObject();
    }

    private static void WriteNumber(IBufferWriter<byte> output, long value)
    {
        var span = output.GetSpan(20);
        value.TryFormat(span, out var written, provider: System.Globalization.CultureInfo.InvariantCulture);
        output.Advance(written);
    }
}
