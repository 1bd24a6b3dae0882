using System.Buffers;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>
/// The Vercel AI SDK's UI message stream (protocol <c>v1</c>, as <c>useChat</c>'s <c>DefaultChatTransport</c> reads it):
/// <c>start</c> (with the answer's <c>messageId</c>), <c>start-step</c>, <c>text-start</c> / <c>text-delta</c> /
/// <c>text-end</c> under one text id, <c>data-audio</c> parts (id <c>audio-{seq}</c>) for spoken sentences,
/// <c>finish-step</c>, then <c>finish</c> (usage and latency in <c>messageMetadata</c>) or <c>error</c>
/// (<c>errorText</c>), then <c>data: [DONE]</c>. No member the SDK's chunk schemas do not know: older clients reject them.
/// </summary>
internal sealed class UiMessageStreamFraming : JsonDataFraming, IEventStreamDescription
{
    /// <inheritdoc/>
    public static string EventsDescription => "UI message stream v1 parts (start, text-delta…, finish or error), then [DONE]";

    private const string TextId = "text";
    private bool _textOpen;

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
                json.WriteString("messageId"u8, streamEvent.Start!.MessageId);
                End(output, json);
                WriteTypeOnly(output, "start-step"u8);
                OpenText(output);
                break;
            case AnswerEventKind.Token when streamEvent.Text!.Length == 0:
                break; // the SDK has no empty delta
            case AnswerEventKind.Token:
                OpenText(output);
                json = Begin(output);
                json.WriteString("type"u8, "text-delta"u8);
                json.WriteString("id"u8, TextId);
                json.WriteString("delta"u8, streamEvent.Text);
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
                CloseText(output);
                WriteTypeOnly(output, "finish-step"u8);
                var done = streamEvent.Done!;
                json = Begin(output);
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
                output.Write("data: [DONE]\n\n"u8);
                break;
            case AnswerEventKind.Error:
                CloseText(output);
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

    private void OpenText(IBufferWriter<byte> output)
    {
        if (_textOpen)
        {
            return;
        }

        _textOpen = true;
        var json = Begin(output);
        json.WriteString("type"u8, "text-start"u8);
        json.WriteString("id"u8, TextId);
        End(output, json);
    }

    private void CloseText(IBufferWriter<byte> output)
    {
        if (!_textOpen)
        {
            return;
        }

        _textOpen = false;
        var json = Begin(output);
        json.WriteString("type"u8, "text-end"u8);
        json.WriteString("id"u8, TextId);
        End(output, json);
    }
}
