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
}
