using System.Text.Json;
using System.Text.Json.Serialization;
using StackExchange.Redis;

namespace StreamingChat.Core;

/// <summary>
/// An answer's events as Redis Stream entries of one field each: the field names the kind (<c>t</c> token, <c>s</c> start,
/// <c>d</c> done, <c>e</c> error, <c>a</c> audio, <c>r</c> reasoning, <c>c</c> tool call, <c>o</c> tool result, <c>p</c>
/// approval request, <c>u</c> source); a token's or reasoning's value is its text as it is, the others' their JSON. The
/// <c>start</c> event is kept without the session key: the log is read with a resume token, which reads the answer only.
/// </summary>
internal static class AnswerEventCodec
{
    public static readonly RedisValue Token = "t";
    private static readonly RedisValue Start = "s";
    private static readonly RedisValue Done = "d";
    private static readonly RedisValue Error = "e";
    private static readonly RedisValue Audio = "a";
    private static readonly RedisValue Reasoning = "r";
    private static readonly RedisValue ToolCall = "c";
    private static readonly RedisValue ToolResult = "o";
    private static readonly RedisValue ApprovalRequest = "p";
    private static readonly RedisValue Source = "u";

    /// <summary>The entry's field and value.</summary>
    public static (RedisValue Field, RedisValue Value) Encode(in AnswerEvent streamEvent) => streamEvent.Kind switch
    {
        AnswerEventKind.Token => (Token, streamEvent.Text),
        AnswerEventKind.Start => (Start, JsonSerializer.SerializeToUtf8Bytes(streamEvent.Start! with { SessionKey = null }, AnswerEventJson.Default.AnswerStart)),
        AnswerEventKind.Done => (Done, JsonSerializer.SerializeToUtf8Bytes(streamEvent.Done!, AnswerEventJson.Default.AnswerDone)),
        AnswerEventKind.Error => (Error, JsonSerializer.SerializeToUtf8Bytes(streamEvent.Error!, AnswerEventJson.Default.AnswerError)),
        AnswerEventKind.Audio => (Audio, JsonSerializer.SerializeToUtf8Bytes(streamEvent.Audio!, AnswerEventJson.Default.AnswerAudio)),
        AnswerEventKind.Reasoning => (Reasoning, streamEvent.Text),
        AnswerEventKind.ToolCall => (ToolCall, JsonSerializer.SerializeToUtf8Bytes(streamEvent.ToolCall!, AnswerEventJson.Default.AnswerToolCall)),
        AnswerEventKind.ToolResult => (ToolResult, JsonSerializer.SerializeToUtf8Bytes(streamEvent.ToolResult!, AnswerEventJson.Default.AnswerToolResult)),
        AnswerEventKind.ApprovalRequest => (ApprovalRequest, JsonSerializer.SerializeToUtf8Bytes(streamEvent.ApprovalRequest!, AnswerEventJson.Default.AnswerApprovalRequest)),
        AnswerEventKind.Source => (Source, JsonSerializer.SerializeToUtf8Bytes(streamEvent.Source!, AnswerEventJson.Default.AnswerSource)),
        _ => throw new ArgumentOutOfRangeException(nameof(streamEvent), streamEvent.Kind, "An event kind the answer log cannot keep; every kind must be encoded explicitly."),
    };

    /// <summary>The event an entry holds.</summary>
    public static AnswerEvent Decode(NameValueEntry entry)
    {
        var field = entry.Name.ToString();
        var value = entry.Value;
        return field switch
        {
            "t" => AnswerEvent.ForToken(value.ToString()),
            "s" => AnswerEvent.ForStart(JsonSerializer.Deserialize((byte[])value!, AnswerEventJson.Default.AnswerStart)!),
            "d" => AnswerEvent.ForDone(JsonSerializer.Deserialize((byte[])value!, AnswerEventJson.Default.AnswerDone)!),
            "e" => AnswerEvent.ForError(JsonSerializer.Deserialize((byte[])value!, AnswerEventJson.Default.AnswerError)!),
            "a" => AnswerEvent.ForAudio(JsonSerializer.Deserialize((byte[])value!, AnswerEventJson.Default.AnswerAudio)!),
            "r" => AnswerEvent.ForReasoning(value.ToString()),
            "c" => AnswerEvent.ForToolCall(JsonSerializer.Deserialize((byte[])value!, AnswerEventJson.Default.AnswerToolCall)!),
            "o" => AnswerEvent.ForToolResult(JsonSerializer.Deserialize((byte[])value!, AnswerEventJson.Default.AnswerToolResult)!),
            "p" => AnswerEvent.ForApprovalRequest(JsonSerializer.Deserialize((byte[])value!, AnswerEventJson.Default.AnswerApprovalRequest)!),
            "u" => AnswerEvent.ForSource(JsonSerializer.Deserialize((byte[])value!, AnswerEventJson.Default.AnswerSource)!),
            _ => throw new FormatException($"An answer log entry has the unknown field '{field}'."),
        };
    }

    /// <summary>What an answer is, as its log's record keeps it.</summary>
    public static byte[] EncodeInfo(AnswerInfo info) => JsonSerializer.SerializeToUtf8Bytes(info, AnswerEventJson.Default.AnswerInfo);

    /// <summary>What an answer is, read back.</summary>
    public static AnswerInfo DecodeInfo(RedisValue value) => JsonSerializer.Deserialize((byte[])value!, AnswerEventJson.Default.AnswerInfo)!;
}

/// <summary>Source-generated JSON for the events kept in Redis: no reflection on the hot path.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AnswerStart))]
[JsonSerializable(typeof(AnswerDone))]
[JsonSerializable(typeof(AnswerError))]
[JsonSerializable(typeof(AnswerAudio))]
[JsonSerializable(typeof(AnswerToolCall))]
[JsonSerializable(typeof(AnswerToolResult))]
[JsonSerializable(typeof(AnswerApprovalRequest))]
[JsonSerializable(typeof(AnswerSource))]
[JsonSerializable(typeof(AnswerInfo))]
internal sealed partial class AnswerEventJson : JsonSerializerContext;
