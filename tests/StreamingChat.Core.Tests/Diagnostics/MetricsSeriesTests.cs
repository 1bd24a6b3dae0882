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
        Assert.Equal((2, 1, 1, 0, 10, 2), (counts[SeriesCounts.Requests], counts[SeriesCounts.Succeeded], counts[SeriesCounts.Failed], counts[SeriesCounts.ClientAborted], counts[SeriesCounts.Tokens], counts[SeriesCounts.PeakActive]));
        Assert.NotNull(SeriesCounts.Percentile(counts, 0.5));
        var next = series.Read(first + 1);
        Assert.Equal((1, 3), (next[SeriesCounts.ClientAborted], next[SeriesCounts.Tokens]));

        // An hour later the first interval's slot serves a new interval: the old counts are gone.
        time.Advance(TimeSpan.FromSeconds(MetricsSeries.Intervals * MetricsSeries.IntervalSeconds));
        Assert.All(series.Read(first), c => Assert.Equal(0, c));
        series.RecordStarted(activeStreams: 1);
        Assert.Equal(1, series.Read(series.CurrentIndex)[SeriesCounts.Requests]);
        Assert.Null(SeriesCounts.Percentile(series.Read(series.CurrentIndex), 0.5));
    }
}
