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
        Interlocked.Increment(ref slot.Counts[SeriesLayout.Requests]);
        var peak = Volatile.Read(ref slot.Counts[SeriesLayout.PeakActive]);
        while (activeStreams > peak && Interlocked.CompareExchange(ref slot.Counts[SeriesLayout.PeakActive], activeStreams, peak) != peak)
        {
            peak = Volatile.Read(ref slot.Counts[SeriesLayout.PeakActive]);
        }
    }

    internal void RecordFinished(StreamOutcome outcome, double? firstTokenMs, long tokens)
    {
        var slot = Current();
        Interlocked.Increment(ref slot.Counts[outcome switch
        {
            StreamOutcome.Succeeded => SeriesLayout.Succeeded,
            StreamOutcome.Failed => SeriesLayout.Failed,
            _ => SeriesLayout.ClientAborted,
        }]);
        Interlocked.Add(ref slot.Counts[SeriesLayout.Tokens], tokens);
        if (firstTokenMs is { } first)
        {
            Interlocked.Increment(ref slot.Counts[SeriesLayout.HistogramStart + StreamingMetricsWindow.BucketOf(first)]);
        }
    }

    /// <summary>The figures of interval <paramref name="index"/>; all zero when it is not kept (or nothing happened in it).</summary>
    public SeriesInterval Read(long index)
    {
        var counts = new long[SeriesLayout.Length];
        var slot = _ring[index % Intervals];
        if (Volatile.Read(ref slot.Index) != index || index > CurrentIndex || index <= CurrentIndex - Intervals)
        {
            return new SeriesInterval(counts);
        }

        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = Volatile.Read(ref slot.Counts[i]);
        }

        return new SeriesInterval(counts);
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
        public readonly long[] Counts = new long[SeriesLayout.Length];
    }
}
