using System.Buffers;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore.Tests;

/// <summary>
/// Every framing writes every kind of event explicitly: a kind added to <see cref="AnswerEventKind"/> and forgotten by one
/// of them (or by this test's samples) fails here, never falls into a branch that guesses.
/// </summary>
public sealed class EveryEventKindTests
{
    /// <summary>One event of <paramref name="kind"/>; a kind without a sample fails the test.</summary>
    internal static AnswerEvent SampleOf(AnswerEventKind kind) => kind switch
    {
        AnswerEventKind.Start => AnswerEvent.ForStart(new AnswerStart("m1", "s1", "demo", "model", Streaming: true)),
        AnswerEventKind.Token => AnswerEvent.ForToken("Hello"),
        AnswerEventKind.Audio => AnswerEvent.ForAudio(new AnswerAudio(0, "Hello.", "wav", "RIFF"u8.ToArray())),
        AnswerEventKind.Done => AnswerEvent.ForDone(new AnswerDone("stop", new AnswerUsage(1, 2), 3, 4)),
        AnswerEventKind.Error => AnswerEvent.ForError(new AnswerError(ChatErrorCodes.UpstreamTimeout, "slow", Retryable: true)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "A kind this test has no sample of: add one, and make every framing write it."),
    };

    public static TheoryData<AnswerEventKind> Kinds => [.. Enum.GetValues<AnswerEventKind>()];

    private static readonly Func<AnswerFraming>[] Framings =
    [
        () => new SseFraming(3000),
        () => new UiMessageStreamFraming(),
        () => new AgUiFraming("thread", "run"),
        () => new NdjsonFraming(),
    ];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EveryFraming_WritesTheKind_AfterTheStartEvent(AnswerEventKind kind)
    {
        foreach (var make in Framings)
        {
            using var framing = make();
            var output = new ArrayBufferWriter<byte>();
            framing.WriteEvent(output, 0, SampleOf(AnswerEventKind.Start));
            var before = output.WrittenCount;
            framing.WriteEvent(output, 1, SampleOf(kind));
            Assert.True(output.WrittenCount > before, $"{framing.GetType().Name} wrote nothing for {kind}");
        }
    }

    [Fact]
    public void EveryFramingOfThePackage_IsOneThisTestWrites()
    {
        var tested = Framings.Select(make => make().GetType()).ToHashSet();
        var shipped = typeof(AnswerFraming).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(AnswerFraming)) && !t.IsAbstract);
        Assert.All(shipped, t => Assert.Contains(t, tested));
    }
}
