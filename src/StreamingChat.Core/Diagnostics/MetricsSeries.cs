namespace StreamingChat.Core;

/// <summary>
/// The streams' figures per interval of wall-clock time (<see cref="IntervalSeconds"/>, aligned to the Unix epoch, so
/// every instance's interval n covers the same seconds and a service's figures add up by interval): requests, outcomes,
/// tokens, the first-token histogram and the most streams open at once. Keeps <see cref="Intervals"/> of them. Written
/// per stream, never per token.
/// </summary>
public sealed class MetricsSeries
{
    private readonly TimeProvider _time;

    internal MetricsSeries(TimeProvider time) => _time = time;

    /// <summary>The length of one interval.</summary>
    public const int IntervalSeconds = 5;

    /// <summary>How many intervals are kept (an hour).</summary>
    public const int Intervals = 720;

    private readonly Slot[] _ring = [.. Enumerable.Range(0, Intervals).Select(_ => new Slot())];

    /// <summary>The interval that holds now: seconds since the epoch over <see cref="IntervalSeconds"/>.</summary>
    public long CurrentIndex => _time.GetUtcNow().ToUnixTimeSeconds() / IntervalSeconds;

    internal void RecordStarted(long activeStreams)
    {
        var slot = Current();
        Interlocked.Increment(ref slot.Counts[SeriesCounts.Requests]);
        var peak = Volatile.Read(ref slot.Counts[SeriesCounts.PeakActive]);
        while (activeStreams > peak && Interlocked.CompareExchange(ref slot.Counts[SeriesCounts.PeakActive], activeStreams, peak) != peak)
        {
            peak = Volatile.Read(ref slot.Counts[SeriesCounts.PeakActive]);
        }
    }

    internal void RecordFinished(StreamOutcome outcome, double? firstTokenMs, long tokens)
    {
        var slot = Current();
        Interlocked.Increment(ref slot.Counts[outcome switch
        {
            StreamOutcome.Succeeded => SeriesCounts.Succeeded,
            StreamOutcome.Failed => SeriesCounts.Failed,
            _ => SeriesCounts.ClientAborted,
        }]);
        Interlocked.Add(ref slot.Counts[SeriesCounts.Tokens], tokens);
        if (firstTokenMs is { } first)
        {
            Interlocked.Increment(ref slot.Counts[SeriesCounts.HistogramStart + StreamingMetricsWindow.BucketOf(first)]);
        }
    }

    /// <summary>The counts of interval <paramref name="index"/>; all zero when it is not kept (or nothing happened in it).</summary>
    /// <returns>A new array of <see cref="SeriesCounts.Length"/> counts, laid out as <see cref="SeriesCounts"/> says.</returns>
    public long[] Read(long index)
    {
        var counts = new long[SeriesCounts.Length];
        var slot = _ring[index % Intervals];
        if (Volatile.Read(ref slot.Index) != index || index > CurrentIndex || index <= CurrentIndex - Intervals)
        {
            return counts;
        }

        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = Volatile.Read(ref slot.Counts[i]);
        }

        return counts;
    }

    private Slot Current()
    {
        var index = CurrentIndex;
        var slot = _ring[index % Intervals];
        if (Volatile.Read(ref slot.Index) != index)
        {
            lock (slot)
            {
                if (slot.Index != index)
                {
                    Array.Clear(slot.Counts);
                    Volatile.Write(ref slot.Index, index); // published after the reset
                }
            }
        }

        return slot;
    }

    private sealed class Slot
    {
        public long Index = -1;
        public readonly long[] Counts = new long[SeriesCounts.Length];
    }
}

/// <summary>Where each figure is in an interval's counts (as kept, and as shared through Redis).</summary>
public static class SeriesCounts
{
    /// <summary>Streams started.</summary>
    public const int Requests = 0;

    /// <summary>Streams that sent <c>done</c>.</summary>
    public const int Succeeded = 1;

    /// <summary>Streams that sent <c>error</c>.</summary>
    public const int Failed = 2;

    /// <summary>Streams whose caller left first.</summary>
    public const int ClientAborted = 3;

    /// <summary>Tokens relayed.</summary>
    public const int Tokens = 4;

    /// <summary>The most streams open at once.</summary>
    public const int PeakActive = 5;

    /// <summary>Where the first-token histogram starts: one count per bucket of <see cref="WindowFigures.LatencyBucketBoundsMs"/>, and one past the last.</summary>
    public const int HistogramStart = 6;

    /// <summary>How many counts an interval has.</summary>
    public static readonly int Length = HistogramStart + WindowFigures.LatencyBucketBoundsMs.Count + 1;

    /// <summary>The first-token percentile of an interval's histogram; null when no stream had a first token.</summary>
    /// <param name="counts">An interval's counts, as <see cref="MetricsSeries.Read(long)"/> gives them.</param>
    /// <param name="quantile">Between 0 and 1: 0.95 is the 95th percentile.</param>
    /// <returns>The percentile in milliseconds, or null.</returns>
    public static double? Percentile(long[] counts, double quantile)
    {
        var histogram = counts[HistogramStart..];
        var first = histogram.Sum();
        if (first == 0)
        {
            return null;
        }

        var figures = WindowFigures.FromHistogram(histogram, first);
        return figures.FirstTokenPercentileMs(quantile);
    }
}
