using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>
/// The shape the front-end protocols share: Server-Sent Events of one <c>data:</c> line of JSON each (no <c>event:</c>
/// names), written straight into the response through one reused <see cref="Utf8JsonWriter"/>, so a token allocates
/// nothing beyond its own text; heartbeats are a comment line with no blank line after it.
/// </summary>
internal abstract class JsonDataFraming : AnswerFraming
{
    private static readonly JsonWriterOptions JsonOptions = new()
    {
        // Safe here as in our own events: the data goes into an event stream, and CR and LF are still escaped.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    private Utf8JsonWriter? _json;

    /// <summary>A comment line, not followed by a blank line: no client takes it for an event.</summary>
    public override void WriteHeartbeat(IBufferWriter<byte> output) => output.Write(": keep-alive\n"u8);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _json?.Dispose();
        }
    }

    /// <summary>Starts one <c>data:</c> line and hands back the writer for its JSON object, opened already.</summary>
    protected Utf8JsonWriter Begin(IBufferWriter<byte> output)
    {
        output.Write("data: "u8);
        if (_json is null)
        {
            _json = new Utf8JsonWriter(output, JsonOptions);
        }
        else
        {
            _json.Reset(output);
        }

        _json.WriteStartObject();
        return _json;
    }

    /// <summary>Closes the JSON object and the event.</summary>
    protected static void End(IBufferWriter<byte> output, Utf8JsonWriter json)
    {
        json.WriteEndObject();
        json.Flush();
        output.Write("\n\n"u8);
    }

    /// <summary>Writes <c>{"type":…}</c> and nothing else as one event.</summary>
    protected void WriteTypeOnly(IBufferWriter<byte> output, ReadOnlySpan<byte> type)
    {
        var json = Begin(output);
        json.WriteString("type"u8, type);
        End(output, json);
    }
}
