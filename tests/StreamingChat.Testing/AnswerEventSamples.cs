using StreamingChat.Core;

namespace StreamingChat.Testing;

/// <summary>One event of each kind, for tests that put every kind through a framing, a codec or a log.</summary>
public static class AnswerEventSamples
{
    /// <summary>Every kind there is.</summary>
    public static IReadOnlyList<AnswerEventKind> Kinds { get; } = Enum.GetValues<AnswerEventKind>();

    /// <summary>One event of <paramref name="kind"/>; a kind without a sample fails the test that asks.</summary>
    public static AnswerEvent Of(AnswerEventKind kind) => kind switch
    {
        AnswerEventKind.Start => AnswerEvent.ForStart(new AnswerStart("m1", "s1", "demo", "model", Streaming: true)),
        AnswerEventKind.Token => AnswerEvent.ForToken("Hello"),
        AnswerEventKind.Audio => AnswerEvent.ForAudio(new AnswerAudio(0, "Hello.", "wav", "RIFF"u8.ToArray())),
        AnswerEventKind.Done => AnswerEvent.ForDone(new AnswerDone("stop", new AnswerUsage(1, 2), 3, 4)),
        AnswerEventKind.Error => AnswerEvent.ForError(new AnswerError(ChatErrorCodes.UpstreamTimeout, "slow", Retryable: true)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "A kind with no sample: add one here, and make every framing, codec and log keep it."),
    };
}
