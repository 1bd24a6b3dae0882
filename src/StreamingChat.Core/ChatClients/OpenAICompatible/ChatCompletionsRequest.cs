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
    /// Whether the request is one this writer says exactly: messages of text (and the assistant's tool calls, and the
    /// tools' results) from the system, the user, the assistant or a tool, and options whose only tools are functions,
    /// with no response format, tool mode or provider-specific settings. Anything else goes to the fallback client (the
    /// OpenAI SDK's, in the sample host).
    /// </summary>
    public static bool CanWrite(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        if (options?.Tools is { } tools && tools.Any(tool => tool is not AIFunctionDeclaration))
        {
            return false;
        }

        if (options is not null
            && (options.ResponseFormat is not (null or ChatResponseFormatText)
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

            if (message.Role == ChatRole.Tool && (message.Contents.Count == 0 || message.Contents.Any(content => content is not FunctionResultContent)))
            {
                return false; // a tool's message is its results, nothing else
            }

            foreach (var content in message.Contents)
            {
                if (content is not (TextContent or TextReasoningContent or FunctionCallContent or FunctionResultContent))
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
                WriteMessage(json, message);
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
                WriteTools(json, options.Tools);
            }

            json.WriteBoolean("stream"u8, true);
            json.WriteStartObject("stream_options"u8);
            json.WriteBoolean("include_usage"u8, true);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// One message: a tool's results are a <c>tool</c> message each; the assistant's tool calls go in its
    /// <c>tool_calls</c>; reasoning is not sent back (providers do not take it as input).
    /// </summary>
    private static void WriteMessage(Utf8JsonWriter json, ChatMessage message)
    {
        var calls = message.Contents.OfType<FunctionCallContent>().ToList();
        foreach (var result in message.Contents.OfType<FunctionResultContent>())
        {
            json.WriteStartObject();
            json.WriteString("role"u8, "tool"u8);
            json.WriteString("tool_call_id"u8, result.CallId);
            json.WriteString("content"u8, ResultText(result.Result));
            json.WriteEndObject();
        }

        if (message.Role == ChatRole.Tool)
        {
            return;
        }

        json.WriteStartObject();
        json.WriteString("role"u8, RoleName(message.Role));
        var text = message.Text;
        if (calls.Count > 0 && text.Length == 0)
        {
            json.WriteNull("content"u8);
        }
        else
        {
            json.WriteString("content"u8, text);
        }

        if (message.AuthorName is { Length: > 0 } name && message.Role != ChatRole.Assistant)
        {
            json.WriteString("name"u8, name);
        }

        if (calls.Count > 0)
        {
            json.WriteStartArray("tool_calls"u8);
            foreach (var call in calls)
            {
                json.WriteStartObject();
                json.WriteString("id"u8, call.CallId);
                json.WriteString("type"u8, "function"u8);
                json.WriteStartObject("function"u8);
                json.WriteString("name"u8, call.Name);
                json.WriteString("arguments"u8, JsonSerializer.Serialize(call.Arguments ?? new Dictionary<string, object?>(), AIJsonUtilities.DefaultOptions));
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
    }

    private static void WriteTools(Utf8JsonWriter json, IList<AITool>? tools)
    {
        if (tools is not { Count: > 0 })
        {
            return;
        }

        json.WriteStartArray("tools"u8);
        foreach (var tool in tools.Cast<AIFunctionDeclaration>())
        {
            json.WriteStartObject();
            json.WriteString("type"u8, "function"u8);
            json.WriteStartObject("function"u8);
            json.WriteString("name"u8, tool.Name);
            if (tool.Description is { Length: > 0 } description)
            {
                json.WriteString("description"u8, description);
            }

            json.WritePropertyName("parameters"u8);
            tool.JsonSchema.WriteTo(json);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static string ResultText(object? result) => result switch
    {
        null => "",
        string text => text,
        JsonElement element => element.GetRawText(),
        var other => JsonSerializer.Serialize(other, AIJsonUtilities.DefaultOptions),
    };

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
        : role == ChatRole.Tool ? "tool"
        : null;
}
