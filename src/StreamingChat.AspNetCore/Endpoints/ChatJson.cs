using System.Text.Json;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>JSON shapes shared by the event stream and the one-piece answer.</summary>
internal static class ChatJson
{
    public static void WriteUsage(Utf8JsonWriter json, ChatTokenUsage? usage)
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
}
