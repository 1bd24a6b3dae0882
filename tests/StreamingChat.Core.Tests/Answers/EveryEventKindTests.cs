using StackExchange.Redis;

namespace StreamingChat.Core.Tests;

/// <summary>Every kind of event kept and read back explicitly: by the in-memory log, and by the Redis log's codec.</summary>
public sealed class EveryEventKindTests
{
    private static AnswerEvent SampleOf(AnswerEventKind kind) => kind switch
    {
        AnswerEventKind.Start => AnswerEvent.ForStart(new AnswerStart("m1", "s1", "demo", "model", Streaming: true)),
        AnswerEventKind.Token => AnswerEvent.ForToken("Hello"),
        AnswerEventKind.Audio => AnswerEvent.ForAudio(new AnswerAudio(0, "Hello.", "wav", "RIFF"u8.ToArray())),
        AnswerEventKind.Done => AnswerEvent.ForDone(new AnswerDone("stop", new AnswerUsage(1, 2), 3, 4)),
        AnswerEventKind.Error => AnswerEvent.ForError(new AnswerError(ChatErrorCodes.UpstreamTimeout, "slow", Retryable: true)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "A kind this test has no sample of: add one, and make every log and codec keep it."),
    };

    public static TheoryData<AnswerEventKind> Kinds => [.. Enum.GetValues<AnswerEventKind>()];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void TheRedisLogsCodec_KeepsTheKind(AnswerEventKind kind)
    {
        var (field, value) = AnswerEventCodec.Encode(SampleOf(kind));
        var decoded = AnswerEventCodec.Decode(new NameValueEntry(field, value));
        Assert.Equal(kind, decoded.Kind);
        Assert.Equal(SampleOf(kind).ToString(), decoded.ToString());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task TheInMemoryLog_KeepsTheKind(AnswerEventKind kind)
    {
        var log = new InMemoryAnswerLog(new AnswerOptions());
        await log.CreateAsync(new AnswerInfo("m1", "s1", "demo", null, "Hi", Streaming: true, DateTimeOffset.UnixEpoch));
        var sample = SampleOf(kind);
        var id = sample.IsTerminal ? await log.EndAsync("m1", sample, MessageStatus.Complete) : await log.AppendAsync("m1", sample);

        var events = new List<AnswerEvent>();
        Assert.Equal(AnswerRead.Events, await log.ReadAsync("m1", id, events));
        Assert.Equal(kind, Assert.Single(events).Kind);
    }
}
