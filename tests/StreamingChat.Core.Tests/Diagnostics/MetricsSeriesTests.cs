using Microsoft.Extensions.Time.Testing;

namespace StreamingChat.Core.Tests;

public sealed class MetricsSeriesTests
{
    [Fact]
    public void Intervals_AreAlignedToTheClock_KeepTheirCounts_AndAReusedSlotStartsFromZero()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_000_003));
        var series = new MetricsSeries(time);
        var first = series.CurrentIndex;
        Assert.Equal(1_000_003 / 5, first);

        series.RecordStarted(activeStreams: 2);
        series.RecordStarted(activeStreams: 1);
        series.RecordFinished(StreamOutcome.Succeeded, firstTokenMs: 120, tokens: 10);
        series.RecordFinished(StreamOutcome.Failed, firstTokenMs: null, tokens: 0);
        time.Advance(TimeSpan.FromSeconds(5));
        series.RecordFinished(StreamOutcome.ClientAborted, firstTokenMs: 900, tokens: 3);

        var counts = series.Read(first);
        Assert.Equal((2L, 1L, 1L, 0L, 10L, 2L), (counts.Requests, counts.Succeeded, counts.Failed, counts.ClientAborted, counts.Tokens, counts.PeakActive));
        Assert.NotNull(counts.FirstTokenPercentileMs(0.5));
        Assert.True(SeriesInterval.TryParse(counts.ToString(), out var shared));
        Assert.Equal((4L, 20L), (counts.Plus(shared).Requests, counts.Plus(shared).Tokens));
        var next = series.Read(first + 1);
        Assert.Equal((1L, 3L), (next.ClientAborted, next.Tokens));

        // An hour later the first interval's slot serves a new interval: the old counts are gone.
        time.Advance(TimeSpan.FromSeconds(MetricsSeries.Intervals * MetricsSeries.IntervalSeconds));
        Assert.Equal("0", series.Read(first).ToString().Split(',').Distinct().Single());
        series.RecordStarted(activeStreams: 1);
        Assert.Equal(1, series.Read(series.CurrentIndex).Requests);
        Assert.Null(series.Read(series.CurrentIndex).FirstTokenPercentileMs(0.5));
    }
}
