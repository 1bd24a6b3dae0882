// Over 300 lines: one reader of one JSON shape (a chat.completion.chunk), each part a method beside the others, read
// top to bottom; split up, a token's path through it would be harder to follow, not easier.
using System.Net.Http;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace StreamingChat.Core;

/// <summary>
/// Turns the <c>data:</c> of one <c>chat.completion.chunk</c> event into a <see cref="ChatResponseUpdate"/> with one
/// <see cref="Utf8JsonReader"/> pass and no object model in between. One reader per stream: the chunk's id and model
/// repeat on every chunk, so they are kept and reused instead of made into new strings each time. A token costs its
/// text, its update and the update's content; nothing else. Reasoning (<c>reasoning_content</c> or <c>reasoning</c>, as
/// compatible servers send it) becomes <see cref="TextReasoningContent"/>; <c>tool_calls</c> deltas are gathered by index
/// and given as <see cref="FunctionCallContent"/>s, whole, with the chunk that finishes the choice (or at <c>[DONE]</c>).
/// </summary>
internal sealed class ChatCompletionChunkReader
{
    private string? _id;
    private string? _model;
    private long _createdSeconds = long.MinValue;
    private DateTimeOffset? _created;
    private ChatRole? _role;
    private readonly ToolCallDeltas _toolCalls = new();

    /// <summary>Whether the stream's <c>[DONE]</c> marker was read.</summary>
    public bool Done { get; private set; }

    /// <summary>
    /// The update for one chunk, or null for a chunk that carries nothing (an empty delta) and for <c>[DONE]</c>.
    /// Only the first choice is read: StreamingChat never asks for more than one.
    /// </summary>
    /// <exception cref="HttpRequestException">The chunk is an error object, or not JSON.</exception>
    public ChatResponseUpdate? Read(ReadOnlySpan<byte> data)
    {
        if (data.SequenceEqual("[DONE]"u8))
        {
            Done = true;
            return _toolCalls.Any ? _toolCalls.AddTo(new ChatResponseUpdate { Role = _role ?? ChatRole.Assistant, ResponseId = _id, MessageId = _id, ModelId = _model }) : null;
        }

        try
        {
            return ReadChunk(data);
        }
        catch (JsonException ex)
        {
            throw new HttpRequestException(HttpRequestError.InvalidResponse, "The model provider sent a chunk that is not JSON.", ex);
        }
    }

    private ChatResponseUpdate? ReadChunk(ReadOnlySpan<byte> data)
    {
        // Over 60 lines: one forward pass of the JSON reader over a chunk's fields, each a case of one loop, on the per-token hot path.
        var reader = new Utf8JsonReader(data);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new HttpRequestException(HttpRequestError.InvalidResponse, "The model provider sent a chunk that is not a JSON object.");
        }

        string? text = null;
        string? reasoning = null;
        ChatRole? role = null;
        ChatFinishReason? finishReason = null;
        UsageDetails? usage = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("choices"u8))
            {
                reader.Read();
                ReadChoices(ref reader, ref text, ref reasoning, ref role, ref finishReason);
            }
            else if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                _id = Reuse(ref reader, _id);
            }
            else if (reader.ValueTextEquals("model"u8))
            {
                reader.Read();
                _model = Reuse(ref reader, _model);
            }
            else if (reader.ValueTextEquals("created"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var seconds) && seconds != _createdSeconds)
                {
                    _createdSeconds = seconds;
                    _created = DateTimeOffset.FromUnixTimeSeconds(seconds);
                }
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                usage = ReadUsage(ref reader);
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                throw StreamError(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (role is not null)
        {
            _role = role;
        }

        if (text is null && reasoning is null && finishReason is null && usage is null)
        {
            return null;
        }

        var update = text is null
            ? new ChatResponseUpdate { Role = _role ?? ChatRole.Assistant }
            : new ChatResponseUpdate(_role ?? ChatRole.Assistant, text);
        if (reasoning is not null)
        {
            update.Contents.Insert(0, new TextReasoningContent(reasoning));
        }

        if (finishReason is not null && _toolCalls.Any)
        {
            _toolCalls.AddTo(update);
        }

        update.ResponseId = _id;
        update.MessageId = _id;
        update.ModelId = _model;
        update.CreatedAt = _created;
        update.FinishReason = finishReason;
        if (usage is not null)
        {
            update.Contents.Add(new UsageContent(usage));
        }

        return update;
    }

    private void ReadChoices(ref Utf8JsonReader reader, ref string? text, ref string? reasoning, ref ChatRole? role, ref ChatFinishReason? finishReason)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }

        var first = true;
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            if (!first)
            {
                reader.Skip();
                continue;
            }

            first = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("delta"u8))
                {
                    reader.Read();
                    ReadDelta(ref reader, ref text, ref reasoning, ref role);
                }
                else if (reader.ValueTextEquals("finish_reason"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        finishReason = FinishReason(ref reader);
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
    }

    private void ReadDelta(ref Utf8JsonReader reader, ref string? text, ref string? reasoning, ref ChatRole? role)
    {
        // Over 60 lines: one forward pass over a delta's fields (text, reasoning, role, tool calls), on the per-token hot path.
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // A refusal is the model's answer in words too; it is relayed as text, as content is.
            if (reader.ValueTextEquals("content"u8) || reader.ValueTextEquals("refusal"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && !reader.ValueTextEquals(""u8))
                {
                    text = text is null ? reader.GetString() : text + reader.GetString();
                }
            }
            else if (reader.ValueTextEquals("reasoning_content"u8) || reader.ValueTextEquals("reasoning"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && !reader.ValueTextEquals(""u8))
                {
                    reasoning = reasoning is null ? reader.GetString() : reasoning + reader.GetString();
                }
                else if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("tool_calls"u8))
            {
                reader.Read();
                _toolCalls.Read(ref reader);
            }
            else if (reader.ValueTextEquals("role"u8))
            {
                reader.Read();
                role = reader.TokenType != JsonTokenType.String ? role
                    : reader.ValueTextEquals("assistant"u8) ? ChatRole.Assistant
                    : new ChatRole(reader.GetString()!);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static ChatFinishReason FinishReason(ref Utf8JsonReader reader)
        => reader.ValueTextEquals("stop"u8) ? ChatFinishReason.Stop
        : reader.ValueTextEquals("length"u8) ? ChatFinishReason.Length
        : reader.ValueTextEquals("content_filter"u8) ? ChatFinishReason.ContentFilter
        : reader.ValueTextEquals("tool_calls"u8) || reader.ValueTextEquals("function_call"u8) ? ChatFinishReason.ToolCalls
        : new ChatFinishReason(reader.GetString()!);

    private static UsageDetails? ReadUsage(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }

        var usage = new UsageDetails();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("prompt_tokens"u8))
            {
                usage.InputTokenCount = ReadCount(ref reader);
            }
            else if (reader.ValueTextEquals("completion_tokens"u8))
            {
                usage.OutputTokenCount = ReadCount(ref reader);
            }
            else if (reader.ValueTextEquals("total_tokens"u8))
            {
                usage.TotalTokenCount = ReadCount(ref reader);
            }
            else if (reader.ValueTextEquals("prompt_tokens_details"u8))
            {
                usage.CachedInputTokenCount = ReadDetail(ref reader, "cached_tokens"u8);
            }
            else if (reader.ValueTextEquals("completion_tokens_details"u8))
            {
                usage.ReasoningTokenCount = ReadDetail(ref reader, "reasoning_tokens"u8);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return usage;
    }

    private static long? ReadCount(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var count) ? count : null;
    }

    private static long? ReadDetail(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }

        long? value = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals(name))
            {
                value = ReadCount(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return value;
    }

    // The error's type and code only: its message may quote the prompt.
    private static HttpRequestException StreamError(ref Utf8JsonReader reader)
    {
        string? type = null;
        string? code = null;
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isType = reader.ValueTextEquals("type"u8);
                var isCode = reader.ValueTextEquals("code"u8);
                reader.Read();
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.Number && (isType || isCode))
                {
                    var value = reader.TokenType == JsonTokenType.String ? reader.GetString() : System.Text.Encoding.UTF8.GetString(reader.ValueSpan);
                    (type, code) = isType ? (value, code) : (type, value);
                }
                else
                {
                    reader.Skip();
                }
            }
        }

        return new HttpRequestException(HttpRequestError.InvalidResponse, $"The model provider sent an error in the stream (type {type ?? "not given"}, code {code ?? "not given"}).");
    }

    private static string? Reuse(ref Utf8JsonReader reader, string? kept)
        => reader.TokenType != JsonTokenType.String ? kept
        : kept is not null && reader.ValueTextEquals(kept) ? kept
        : reader.GetString();
}
