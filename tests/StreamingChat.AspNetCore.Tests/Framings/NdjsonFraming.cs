using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore.Tests;

/// <summary>
/// A wire format an application adds in one file: newline-delimited JSON, one object per event with its id, kind and
/// facts. Mapped with <c>MapQuestionStream&lt;NdjsonFraming&gt;()</c> and <c>MapAnswerStream&lt;NdjsonFraming&gt;()</c>.
/// </summary>
public sealed class NdjsonFraming : AnswerFraming
{
    private Utf8JsonWriter? _json;

    public override void ApplyHeaders(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/x-ndjson";
        response.Headers.CacheControl = "no-cache";
    }

    public override void WriteEvent(IBufferWriter<byte> output, long id, in AnswerEvent answerEvent)
    {
        if (_json is null)
        {
            _json = new Utf8JsonWriter(output);
        }
        else
        {
            _json.Reset(output);
        }

        _json.WriteStartObject();
        _json.WriteNumber("id", id);
        switch (answerEvent.Kind)
        {
            case AnswerEventKind.Start:
                _json.WriteString("type", "start");
                _json.WriteString("messageId", answerEvent.Start!.MessageId);
                break;
            case AnswerEventKind.Token:
                _json.WriteString("type", "token");
                _json.WriteString("text", answerEvent.Text);
                break;
            case AnswerEventKind.Audio:
                _json.WriteString("type", "audio");
                _json.WriteNumber("seq", answerEvent.Audio!.Seq);
                break;
            case AnswerEventKind.Done:
                _json.WriteString("type", "done");
                _json.WriteString("finishReason", answerEvent.Done!.FinishReason);
                break;
            case AnswerEventKind.Error:
                _json.WriteString("type", "error");
                _json.WriteString("code", answerEvent.Error!.Code);
                break;
            case AnswerEventKind.Reasoning:
                _json.WriteString("type", "reasoning");
                _json.WriteString("text", answerEvent.Text);
                break;
            case AnswerEventKind.ToolCall:
                _json.WriteString("type", "tool-call");
                _json.WriteString("toolName", answerEvent.ToolCall!.ToolName);
                break;
            case AnswerEventKind.ToolResult:
                _json.WriteString("type", "tool-result");
                _json.WriteString("toolCallId", answerEvent.ToolResult!.ToolCallId);
                break;
            case AnswerEventKind.ApprovalRequest:
                _json.WriteString("type", "approval-request");
                _json.WriteString("approvalId", answerEvent.ApprovalRequest!.ApprovalId);
                break;
            case AnswerEventKind.Source:
                _json.WriteString("type", "source");
                _json.WriteString("url", answerEvent.Source!.Url);
                break;
            default:
                throw Unknown(answerEvent.Kind);
        }

        _json.WriteEndObject();
        _json.Flush();
        output.Write("\n"u8);
    }

    /// <summary>An empty line: NDJSON readers skip it.</summary>
    public override void WriteHeartbeat(IBufferWriter<byte> output) => output.Write("\n"u8);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _json?.Dispose();
        }
    }
}
