using StackExchange.Redis;
using StreamingChat.Testing;

namespace StreamingChat.Core.Tests;

/// <summary>Every kind of event kept and read back explicitly: by the in-memory log, and by the Redis log's codec.</summary>
public sealed class EveryEventKindTests
{
    public static TheoryData<AnswerEventKind> Kinds => [.. AnswerEventSamples.Kinds];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void TheRedisLogsCodec_KeepsTheKind(AnswerEventKind kind)
    {
        var (field, value) = AnswerEventCodec.Encode(AnswerEventSamples.Of(kind));
        var decoded = AnswerEventCodec.Decode(new NameValueEntry(field, value));
        Assert.Equal(kind, decoded.Kind);
        Assert.Equal(AnswerEventSamples.Of(kind).ToString(), decoded.ToString());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task TheInMemoryLog_KeepsTheKind(AnswerEventKind kind)
    {
        var log = new InMemoryAnswerLog(new AnswerOptions());
        await log.CreateAsync(new AnswerInfo("m1", "s1", "demo", null, "Hi", Streaming: true, DateTimeOffset.UnixEpoch));
        var sample = AnswerEventSamples.Of(kind);
        var id = sample.IsTerminal ? await log.EndAsync("m1", sample, MessageStatus.Complete) : await log.AppendAsync("m1", sample);

        var events = new List<AnswerEvent>();
        Assert.Equal(AnswerRead.Events, await log.ReadAsync("m1", id, events));
        Assert.Equal(kind, Assert.Single(events).Kind);
    }
}
