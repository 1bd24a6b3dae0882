using Microsoft.Extensions.Time.Testing;

namespace StreamingChat.Core.Tests;

public sealed class StreamingMetricsWindowTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Read_Empty_RatesAreOneAndZeroAndLatenciesNull()
    {
        var figures = new StreamingMetricsWindow(TimeSpan.FromSeconds(60), _time).Read();

        Assert.Equal((0, 1.0, 0.0), (figures.Requests, figures.SuccessRate, figures.ErrorRate));
        Assert.Null(figures.AverageFirstTokenMs);
        Assert.Null(figures.FirstTokenPercentileMs(0.95));
        Assert.Null(figures.AverageTotalMs);
    }

    [Fact]
    public void Read_Outcomes_CountAndDeriveRates()
    {
        var window = new StreamingMetricsWindow(TimeSpan.FromSeconds(60), _time);
        for (var i = 0; i < 10; i++)
        {
            window.RecordStarted();
        }

        for (var i = 0; i < 7; i++)
        {
            window.RecordFinished(StreamOutcome.Succeeded, null, 100 + (i * 10), 1000, 50);
        }

        window.RecordFinished(StreamOutcome.Failed, ChatErrorCodes.UpstreamTimeout, null, 5000, 0);
        window.RecordFinished(StreamOutcome.Failed, "something_new", 200, 300, 2);
        window.RecordFinished(StreamOutcome.ClientAborted, null, 120, 400, 5);
        _time.Advance(TimeSpan.FromSeconds(59));

        var figures = window.Read();
        Assert.Equal((10, 7, 2, 1, 10), (figures.Requests, figures.Succeeded, figures.Failed, figures.ClientAborted, figures.Finished));
        Assert.Equal(7.0 / 9, figures.SuccessRate, 6);
        Assert.Equal(0.2, figures.ErrorRate, 6);
        Assert.Equal((100 + 110 + 120 + 130 + 140 + 150 + 160 + 200 + 120) / 9.0, figures.AverageFirstTokenMs!.Value, 3);
        Assert.Equal(((7 * 1000) + 5000 + 300 + 400) / 10.0, figures.AverageTotalMs!.Value, 3);
        Assert.Equal(357 / 59.0, figures.TokensPerSecond, 6); // over the 59 s this window has lived
        Assert.Equal(1, figures.ErrorsByCode[WindowFigures.ErrorCodes.ToList().IndexOf(ChatErrorCodes.UpstreamTimeout)]);
        Assert.Equal(1, figures.ErrorsByCode[WindowFigures.ErrorCodes.ToList().IndexOf(ChatErrorCodes.InternalError)]);
    }

    [Fact]
    public void Read_FiguresOlderThanTheWindow_AgeOut()
    {
        var window = new StreamingMetricsWindow(TimeSpan.FromSeconds(60), _time);
        window.RecordStarted();
        window.RecordFinished(StreamOutcome.Failed, ChatErrorCodes.UpstreamUnavailable, null, 10, 0);
        _time.Advance(TimeSpan.FromSeconds(30));
        window.RecordStarted();
        window.RecordFinished(StreamOutcome.Succeeded, null, 100, 200, 10);

        Assert.Equal((2, 1, 1), Counts(window.Read()));

        _time.Advance(TimeSpan.FromSeconds(31)); // the first pair is 61 s old
        Assert.Equal((1, 1, 0), Counts(window.Read()));

        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal((0, 0, 0), Counts(window.Read()));

        // A reused interval starts from zero.
        window.RecordStarted();
        Assert.Equal((1, 0, 0), Counts(window.Read()));

        static (long, long, long) Counts(WindowFigures f) => (f.Requests, f.Succeeded, f.Failed);
    }

    [Fact]
    public void FirstTokenPercentile_InterpolatesInsideTheHistogramBucket()
    {
        var window = new StreamingMetricsWindow(TimeSpan.FromSeconds(60), _time);
        for (var i = 1; i <= 100; i++)
        {
            // 90 fast (within 100–150 ms), 10 slow (within 1000–1500 ms).
            window.RecordFinished(StreamOutcome.Succeeded, null, i <= 90 ? 120 : 1200, 2000, 1);
        }

        var figures = window.Read();
        Assert.InRange(figures.FirstTokenPercentileMs(0.50)!.Value, 100, 150);
        Assert.InRange(figures.FirstTokenPercentileMs(0.95)!.Value, 1000, 1500);
        Assert.InRange(figures.FirstTokenPercentileMs(0.99)!.Value, 1000, 1500);
        Assert.True(figures.FirstTokenPercentileMs(0.95) <= figures.FirstTokenPercentileMs(0.99));
    }

    [Fact]
    public void FirstTokenPercentile_BeyondTheLastBound_IsTheLastBound()
    {
        var window = new StreamingMetricsWindow(TimeSpan.FromSeconds(60), _time);
        window.RecordFinished(StreamOutcome.Succeeded, null, 90_000, 90_000, 1);

        Assert.Equal(WindowFigures.LatencyBucketBoundsMs[^1], window.Read().FirstTokenPercentileMs(0.5));
    }

    [Fact]
    public async Task Record_FromManyThreads_LosesNothing()
    {
        var window = new StreamingMetricsWindow(TimeSpan.FromSeconds(60), _time);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                window.RecordStarted();
                window.RecordFinished(StreamOutcome.Succeeded, null, 50, 100, 3);
            }
        })));

        var figures = window.Read();
        Assert.Equal((80_000, 80_000, 240_000), (figures.Requests, figures.Succeeded, figures.Tokens));
    }
}
