using System.Text.Json;
using Microsoft.Extensions.AI;

namespace StreamingChat.Core;

/// <summary>
/// The <c>tool_calls</c> deltas of one chat completions stream, gathered by index (the id and name when they come, the
/// arguments' text piece by piece) and handed over whole, as <see cref="FunctionCallContent"/>s, when the choice finishes.
/// </summary>
internal sealed class ToolCallDeltas
{
    private readonly List<Call> _calls = [];

    /// <summary>Whether a call is being gathered.</summary>
    public bool Any => _calls.Count > 0;

    /// <summary>Adds each <c>tool_calls</c> delta to the call of its index: the id and name when they come, the arguments' text piece by piece.</summary>
    public void Read(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            var index = 0;
            string? id = null;
            string? name = null;
            string? arguments = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("index"u8))
                {
                    reader.Read();
                    index = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var i) ? i : 0;
                }
                else if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    id = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("function"u8))
                {
                    reader.Read();
                    ReadFunction(ref reader, ref name, ref arguments);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            while (_calls.Count <= index)
            {
                _calls.Add(new Call());
            }

            var call = _calls[index];
            call.Id ??= id;
            call.Name ??= name;
            call.Arguments.Append(arguments);
        }
    }

    private static void ReadFunction(ref Utf8JsonReader reader, ref string? name, ref string? arguments)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isName = reader.ValueTextEquals("name"u8);
            var isArguments = reader.ValueTextEquals("arguments"u8);
            reader.Read();
            if (reader.TokenType == JsonTokenType.String && (isName || isArguments))
            {
                (name, arguments) = isName ? (reader.GetString(), arguments) : (name, reader.GetString());
            }
            else
            {
                reader.Skip();
            }
        }
    }

    /// <summary>
    /// Adds the gathered calls to <paramref name="update"/>, each whole; arguments that are not a JSON object leave the call
    /// without arguments and with its <see cref="FunctionCallContent.Exception"/> set, so the tool's result says so.
    /// </summary>
    public ChatResponseUpdate AddTo(ChatResponseUpdate update)
    {
        foreach (var call in _calls)
        {
            if (call.Name is null)
            {
                continue;
            }

            var arguments = call.Arguments.Length == 0 ? "{}" : call.Arguments.ToString();
            update.Contents.Add(FunctionCallContent.CreateFromParsedArguments(
                arguments,
                call.Id ?? "call_" + Guid.CreateVersion7().ToString("N"),
                call.Name,
                static json => JsonSerializer.Deserialize<Dictionary<string, object?>>(json, AIJsonUtilities.DefaultOptions)));
        }

        _calls.Clear();
        return update;
    }

    /// <summary>One tool call as its deltas arrive.</summary>
    private sealed class Call
    {
        public string? Id { get; set; }

        public string? Name { get; set; }

        public System.Text.StringBuilder Arguments { get; } = new();
    }
}
