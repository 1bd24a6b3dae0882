using System.Text.Json;
using Microsoft.AspNetCore.Http;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>JSON shapes shared by the event stream and the one-piece answer.</summary>
internal static class ChatJson
{
    /// <summary>
    /// How our JSON answers are written: text as it is (a quote is <c>\"</c>, not <c>\u0022</c>). The relaxed encoder is safe
    /// here: the bodies are <c>application/json</c>, never inlined into HTML.
    /// </summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary><c>{}</c>: the input of a tool call that has none.</summary>
    public static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    /// <summary>Answers 200 with the JSON <paramref name="write"/> produces, never cached (metrics and health change by the second).</summary>
    public static async Task WriteResponseAsync(HttpContext context, Action<Utf8JsonWriter> write)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        var json = new Utf8JsonWriter(context.Response.BodyWriter, WriterOptions);
        await using (json.ConfigureAwait(false))
        {
            write(json);
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    public static void WriteUsage(Utf8JsonWriter json, AnswerUsage? usage)
    {
        if (usage is null)
        {
            json.WriteNullValue();
            return;
        }

        json.WriteStartObject();
        WriteNullableNumber(json, "inputTokens"u8, usage.InputTokens);
        WriteNullableNumber(json, "outputTokens"u8, usage.OutputTokens);
        json.WriteEndObject();
    }

    public static void WriteNullableNumber(Utf8JsonWriter json, ReadOnlySpan<byte> name, long? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    /// <summary>The members of one spoken sentence (<c>seq</c>, <c>text</c>, <c>format</c>, then <c>data</c> in base64 or <c>error</c>), in every framing.</summary>
    public static void WriteAudio(Utf8JsonWriter json, AnswerAudio audio)
    {
        json.WriteNumber("seq"u8, audio.Seq);
        json.WriteString("text"u8, audio.Text);
        json.WriteString("format"u8, audio.Format);
        if (audio.Error is null)
        {
            json.WriteBase64String("data"u8, audio.Data.Span);
        }
        else
        {
            json.WriteString("error"u8, audio.Error);
        }
    }

    /// <summary>The members of a tool call (<c>toolCallId</c>, <c>toolName</c>, <c>input</c>), as our events write them.</summary>
    public static void WriteToolCall(Utf8JsonWriter json, AnswerToolCall call) => WriteCall(json, call.ToolCallId, call.ToolName, call.Input);

    /// <summary>The members of a tool's result (<c>toolCallId</c>, <c>toolName</c>, then <c>output</c> or <c>error</c>).</summary>
    public static void WriteToolResult(Utf8JsonWriter json, AnswerToolResult result)
    {
        json.WriteString("toolCallId"u8, result.ToolCallId);
        json.WriteString("toolName"u8, result.ToolName);
        if (result.Error is not null)
        {
            json.WriteString("error"u8, result.Error);
        }
        else
        {
            json.WritePropertyName("output"u8);
            WriteJsonOrNull(json, result.Output);
        }
    }

    /// <summary>The members of an approval request (<c>approvalId</c>, <c>toolCallId</c>, <c>toolName</c>, <c>input</c>).</summary>
    public static void WriteApprovalRequest(Utf8JsonWriter json, AnswerApprovalRequest request)
    {
        json.WriteString("approvalId"u8, request.ApprovalId);
        WriteCall(json, request.ToolCallId, request.ToolName, request.Input);
    }

    private static void WriteCall(Utf8JsonWriter json, string toolCallId, string toolName, JsonElement input)
    {
        json.WriteString("toolCallId"u8, toolCallId);
        json.WriteString("toolName"u8, toolName);
        json.WritePropertyName("input"u8);
        input.WriteTo(json);
    }

    /// <summary>The members of a source (<c>sourceId</c>, <c>url</c>, and <c>title</c> when known).</summary>
    public static void WriteSource(Utf8JsonWriter json, AnswerSource source)
    {
        json.WriteString("sourceId"u8, source.SourceId);
        json.WriteString("url"u8, source.Url);
        if (source.Title is not null)
        {
            json.WriteString("title"u8, source.Title);
        }
    }

    /// <summary>A JSON value as it is, or <c>null</c>.</summary>
    public static void WriteJsonOrNull(Utf8JsonWriter json, JsonElement? value)
    {
        if (value is { } element)
        {
            element.WriteTo(json);
        }
        else
        {
            json.WriteNullValue();
        }
    }

    /// <summary>
    /// An answer's <c>parts</c>, in order: its stored parts, or for an answer that was text only one text part with its
    /// content (none when it has none). A tool part that asked for an approval says how it was decided
    /// (<c>approval-responded</c> and <c>approved</c>) once it was, from <paramref name="decisions"/>.
    /// </summary>
    public static void WriteParts(Utf8JsonWriter json, ConversationMessage turn, IReadOnlyDictionary<string, ApprovalDecision>? decisions = null)
    {
        json.WriteStartArray("parts"u8);
        if (turn.Parts.Count == 0 && turn.Content.Length > 0)
        {
            json.WriteStartObject();
            json.WriteString("type"u8, ConversationPart.TextType);
            json.WriteString("text"u8, turn.Content);
            json.WriteEndObject();
        }

        foreach (var part in turn.Parts)
        {
            json.WriteStartObject();
            json.WriteString("type"u8, part.Type);
            WriteIfSet(json, "text"u8, part.Text);
            WriteIfSet(json, "toolCallId"u8, part.ToolCallId);
            WriteIfSet(json, "toolName"u8, part.ToolName);
            var decision = part.ApprovalId is { } approvalId && decisions is not null ? decisions.GetValueOrDefault(approvalId) : null;
            WriteIfSet(json, "state"u8, decision is not null && part.State == "approval-requested" ? "approval-responded" : part.State);
            if (decision is not null)
            {
                json.WriteBoolean("approved"u8, decision.Approved);
            }

            if (part.Input is { } input)
            {
                json.WritePropertyName("input"u8);
                input.WriteTo(json);
            }

            if (part.Output is { } output)
            {
                json.WritePropertyName("output"u8);
                output.WriteTo(json);
            }

            WriteIfSet(json, "error"u8, part.Error);
            WriteIfSet(json, "approvalId"u8, part.ApprovalId);
            WriteIfSet(json, "sourceId"u8, part.SourceId);
            WriteIfSet(json, "url"u8, part.Url);
            WriteIfSet(json, "title"u8, part.Title);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void WriteIfSet(Utf8JsonWriter json, ReadOnlySpan<byte> name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }
}
