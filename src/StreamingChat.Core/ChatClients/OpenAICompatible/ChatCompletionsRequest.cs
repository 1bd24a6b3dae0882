using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace StreamingChat.Core;

/// <summary>
/// The body of a streamed <c>POST /chat/completions</c>: the fields the OpenAI client sends for the same messages and
/// options (a test sends one question both ways and compares), for the requests <see cref="CanWrite"/> accepts.
/// </summary>
internal static class ChatCompletionsRequest
{
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    /// <summary>
    /// Whether the request is one this writer says exactly: text messages from the system, the user or the assistant,
    /// and options with no tools, no response format, no provider-specific settings. Anything else goes to the fallback
    /// client (the OpenAI SDK's, in the sample host).
    /// </summary>
    public static bool CanWrite(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        if (options is not null
            && (options.Tools is { Count: > 0 } || options.ResponseFormat is not (null or ChatResponseFormatText)
                || options.RawRepresentationFactory is not null || options.AdditionalProperties is { Count: > 0 }
                || options.ToolMode is not null || options.TopK is not null || options.ConversationId is not null
                || options.Instructions is not null))
        {
            return false;
        }

        foreach (var message in messages)
        {
            if (RoleName(message.Role) is null)
            {
                return false;
            }

            foreach (var content in message.Contents)
            {
                if (content is not TextContent)
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>Writes the body, in an array of its own size (kept until the response's headers arrive, so no pooled buffer is held).</summary>
    public static byte[] Write(IEnumerable<ChatMessage> messages, ChatOptions? options, string model)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteStartArray("messages"u8);
            foreach (var message in messages)
            {
                json.WriteStartObject();
                json.WriteString("role"u8, RoleName(message.Role));
                json.WriteString("content"u8, message.Text);
                if (message.AuthorName is { Length: > 0 } name && message.Role != ChatRole.Assistant)
                {
                    json.WriteString("name"u8, name);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteString("model"u8, options?.ModelId ?? model);
            if (options is not null)
            {
                WriteNumber(json, "frequency_penalty"u8, options.FrequencyPenalty);
                WriteNumber(json, "max_completion_tokens"u8, options.MaxOutputTokens);
                WriteNumber(json, "presence_penalty"u8, options.PresencePenalty);
                if (options.Seed is { } seed)
                {
                    json.WriteNumber("seed"u8, seed);
                }

                if (options.StopSequences is { Count: > 0 } stops)
                {
                    json.WriteStartArray("stop"u8);
                    foreach (var stop in stops)
                    {
                        json.WriteStringValue(stop);
                    }

                    json.WriteEndArray();
                }

                WriteNumber(json, "temperature"u8, options.Temperature);
                WriteNumber(json, "top_p"u8, options.TopP);
            }

            json.WriteBoolean("stream"u8, true);
            json.WriteStartObject("stream_options"u8);
            json.WriteBoolean("include_usage"u8, true);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteNumber(Utf8JsonWriter json, ReadOnlySpan<byte> name, float? value)
    {
        if (value is { } number)
        {
            json.WriteNumber(name, number);
        }
    }

    private static void WriteNumber(Utf8JsonWriter json, ReadOnlySpan<byte> name, int? value)
    {
        if (value is { } number)
        {
            json.WriteNumber(name, number);
        }
    }

    private static string? RoleName(ChatRole role)
        => role == ChatRole.User ? "user"
        : role == ChatRole.System ? "system"
        : role == ChatRole.Assistant ? "assistant"
        : null;
}
