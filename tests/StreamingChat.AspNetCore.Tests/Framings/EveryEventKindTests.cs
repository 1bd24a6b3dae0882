using System.Buffers;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.AspNetCore.Tests;

/// <summary>
/// Every framing writes every kind of event explicitly: a kind added to <see cref="AnswerEventKind"/> and forgotten by one
/// of them (or by this test's samples) fails here, never falls into a branch that guesses.
/// </summary>
public sealed class EveryEventKindTests
{
    public static TheoryData<AnswerEventKind> Kinds => [.. AnswerEventSamples.Kinds];

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
            framing.WriteEvent(output, 0, AnswerEventSamples.Of(AnswerEventKind.Start));
            var before = output.WrittenCount;
            framing.WriteEvent(output, 1, AnswerEventSamples.Of(kind));
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
