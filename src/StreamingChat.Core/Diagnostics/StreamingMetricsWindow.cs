using System.Diagnostics;

namespace StreamingChat.Core;

/// <summary>
/// Stream figures over a sliding window: counts by outcome, first-token latency (average and percentiles from a
/// histogram), duration, tokens. The window is a ring of intervals; a writer adds to its interval with
/// <see cref="Interlocked"/> and takes a lock only to reset an interval that has aged out (once per interval, not per
/// stream), so recording costs a few atomic additions. Readers sum the intervals still inside the window. One file over
/// 300 lines: the ring, its interval type and the figures read from it share the same lock-free layout.
/// </summary>
internal sealed class StreamingMetricsWindow
{
    /// <summary>The first-token histogram's bucket bounds: <see cref="WindowFigures.LatencyBucketBoundsMs"/>.</summary>
    public static readonly IReadOnlyList<double> LatencyBucketBoundsMs = WindowFigures.LatencyBucketBoundsMs;

    /// <summary>The error codes counted one by one: <see cref="WindowFigures.ErrorCodes"/>.</summary>
    public static readonly IReadOnlyList<string> ErrorCodes = WindowFigures.ErrorCodes;

    private const int Intervals = 60;
    private readonly Interval[] _ring = new Interval[Intervals];
    private readonly long _intervalTicks;
    private readonly TimeProvider _time;
    private readonly long _origin;

    /// <summary>Creates a window of <paramref name="length"/>, measured on <paramref name="timeProvider"/>.</summary>
    public StreamingMetricsWindow(TimeSpan length, TimeProvider timeProvider)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, TimeSpan.FromSeconds(1));
        ArgumentNullException.ThrowIfNull(timeProvider);
        Length = length;
        _time = timeProvider;
        _intervalTicks = Math.Max(1, length.Ticks / Intervals);
        _origin = timeProvider.GetTimestamp();
        for (var i = 0; i < Intervals; i++)
        {
            _ring[i] = new Interval();
        }
    }

    /// <summary>The window's length.</summary>
    public TimeSpan Length { get; }

    /// <summary>Counts a stream that started.</summary>
    public void RecordStarted() => Interlocked.Increment(ref Current().Requests);

    /// <summary>Counts a stream that ended.</summary>
    /// <param name="outcome">How it ended.</param>
    /// <param name="errorCode">The error code, for <see cref="StreamOutcome.Failed"/>.</param>
    /// <param name="firstTokenMs">Milliseconds to the first token; null when there was none.</param>
    /// <param name="totalMs">Milliseconds to the end.</param>
    /// <param name="tokens">Tokens relayed.</param>
    public void RecordFinished(StreamOutcome outcome, string? errorCode, double? firstTokenMs, double totalMs, long tokens)
    {
        var interval = Current();
        switch (outcome)
        {
            case StreamOutcome.Succeeded:
                Interlocked.Increment(ref interval.Succeeded);
                break;
            case StreamOutcome.Failed:
                Interlocked.Increment(ref interval.Failed);
                Interlocked.Increment(ref interval.ErrorsByCode[ErrorIndex(errorCode)]);
                break;
            default:
                Interlocked.Increment(ref interval.ClientAborted);
                break;
        }

        if (firstTokenMs is { } first)
        {
            Interlocked.Increment(ref interval.FirstTokenCount);
            Interlocked.Add(ref interval.FirstTokenMicros, (long)(first * 1000));
            Interlocked.Increment(ref interval.Histogram[BucketOf(first)]);
        }

        Interlocked.Increment(ref interval.Finished);
        Interlocked.Add(ref interval.TotalMicros, (long)(totalMs * 1000));
        Interlocked.Add(ref interval.Tokens, tokens);
    }

    /// <summary>The figures of the intervals inside the window now.</summary>
    public WindowFigures Read()
    {
        var figures = new WindowFigures(new long[LatencyBucketBoundsMs.Count + 1], new long[ErrorCodes.Count]);
        var now = IntervalIndex();
        foreach (var interval in _ring)
        {
            var slot = Volatile.Read(ref interval.Slot);
            if (slot > now || slot <= now - Intervals)
            {
                continue;
            }

            figures.Requests += Volatile.Read(ref interval.Requests);
            figures.Succeeded += Volatile.Read(ref interval.Succeeded);
            figures.Failed += Volatile.Read(ref interval.Failed);
            figures.ClientAborted += Volatile.Read(ref interval.ClientAborted);
            figures.Finished += Volatile.Read(ref interval.Finished);
            figures.FirstTokenCount += Volatile.Read(ref interval.FirstTokenCount);
            figures.FirstTokenMicros += Volatile.Read(ref interval.FirstTokenMicros);
            figures.TotalMicros += Volatile.Read(ref interval.TotalMicros);
            figures.Tokens += Volatile.Read(ref interval.Tokens);
            for (var i = 0; i < figures.Histogram.Length; i++)
            {
                figures.Histogram[i] += Volatile.Read(ref interval.Histogram[i]);
            }

            for (var i = 0; i < figures.ErrorsByCode.Length; i++)
            {
                figures.ErrorsByCode[i] += Volatile.Read(ref interval.ErrorsByCode[i]);
            }
        }

        // Tokens per second over the part of the window this process has lived through.
        var covered = Math.Min(Length.TotalSeconds, _time.GetElapsedTime(_origin).TotalSeconds);
        figures.CoveredSeconds = Math.Max(covered, 1);
        return figures;
    }

    internal static int BucketOf(double ms)
    {
        for (var i = 0; i < LatencyBucketBoundsMs.Count; i++)
        {
            if (ms <= LatencyBucketBoundsMs[i])
            {
                return i;
            }
        }

        return LatencyBucketBoundsMs.Count;
    }

    private static int ErrorIndex(string? code)
    {
        for (var i = 0; i < ErrorCodes.Count; i++)
        {
            if (ErrorCodes[i] == code)
            {
                return i;
            }
        }

        return ErrorCodes.Count - 1;
    }

    private long IntervalIndex() => _time.GetElapsedTime(_origin).Ticks / _intervalTicks;

    private Interval Current()
    {
        var index = IntervalIndex();
        var interval = _ring[index % Intervals];
        if (Volatile.Read(ref interval.Slot) != index)
        {
            lock (interval)
            {
                if (interval.Slot != index)
                {
                    interval.Reset();
                    Volatile.Write(ref interval.Slot, index); // published after the reset: a reader or writer that sees the new slot sees zeros
                }
            }
        }

        return interval;
    }

    private sealed class Interval
    {
        public long Slot = -1;
        public long Requests;
        public long Succeeded;
        public long Failed;
        public long ClientAborted;
        public long Finished;
        public long FirstTokenCount;
        public long FirstTokenMicros;
        public long TotalMicros;
        public long Tokens;
        public readonly long[] Histogram = new long[LatencyBucketBoundsMs.Count + 1];
        public readonly long[] ErrorsByCode = new long[ErrorCodes.Count];

        public void Reset()
        {
            Requests = Succeeded = Failed = ClientAborted = Finished = FirstTokenCount = FirstTokenMicros = TotalMicros = Tokens = 0;
            Array.Clear(Histogram);
            Array.Clear(ErrorsByCode);
        }
    }
}

/// <summary>The sums of a window's intervals, and the figures derived from them.</summary>
public sealed class WindowFigures
{
    /// <summary>Upper bounds (ms) of the first-token latency histogram's buckets; the last bucket is unbounded.</summary>
    public static readonly IReadOnlyList<double> LatencyBucketBoundsMs =
        [10, 25, 50, 75, 100, 150, 200, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 5000, 7500, 10_000, 15_000, 30_000, 60_000];

    /// <summary>The error codes counted one by one; any other code counts as <see cref="ChatErrorCodes.InternalError"/>.</summary>
    public static readonly IReadOnlyList<string> ErrorCodes =
        [ChatErrorCodes.UpstreamRateLimited, ChatErrorCodes.UpstreamUnavailable, ChatErrorCodes.UpstreamTimeout, ChatErrorCodes.ServerDraining, ChatErrorCodes.InternalError];

    internal WindowFigures(long[] histogram, long[] errorsByCode)
    {
        Histogram = histogram;
        ErrorsByCode = errorsByCode;
    }

    /// <summary>
    /// Figures made from counts added up elsewhere (for example over every instance of a service): the rates and the
    /// average first-token latency are computed; percentiles, durations and tokens are not known.
    /// </summary>
    public static WindowFigures FromCounts(long requests, long succeeded, long failed, long clientAborted, long firstTokenCount, long firstTokenMicroseconds)
        => new(new long[StreamingMetricsWindow.LatencyBucketBoundsMs.Count + 1], new long[StreamingMetricsWindow.ErrorCodes.Count])
        {
            Requests = requests,
            Succeeded = succeeded,
            Failed = failed,
            ClientAborted = clientAborted,
            Finished = succeeded + failed + clientAborted,
            FirstTokenCount = firstTokenCount,
            FirstTokenMicros = firstTokenMicroseconds,
            CoveredSeconds = 1,
        };

    /// <summary>Figures holding only a first-token histogram, for its percentiles.</summary>
    internal static WindowFigures FromHistogram(long[] histogram, long firstTokenCount)
        => new(histogram, new long[StreamingMetricsWindow.ErrorCodes.Count]) { FirstTokenCount = firstTokenCount, CoveredSeconds = 1 };

    /// <summary>Streams started.</summary>
    public long Requests { get; internal set; }

    /// <summary>Streams that sent <c>done</c>.</summary>
    public long Succeeded { get; internal set; }

    /// <summary>Streams that sent <c>error</c>.</summary>
    public long Failed { get; internal set; }

    /// <summary>Streams whose caller left first.</summary>
    public long ClientAborted { get; internal set; }

    /// <summary>Streams that ended, whatever the outcome.</summary>
    public long Finished { get; internal set; }

    /// <summary>Tokens relayed.</summary>
    public long Tokens { get; internal set; }

    /// <summary>Counts per first-token latency bucket (bounds in <see cref="StreamingMetricsWindow.LatencyBucketBoundsMs"/>, then the overflow).</summary>
    public long[] Histogram { get; }

    /// <summary>Failures per code, in the order of <see cref="StreamingMetricsWindow.ErrorCodes"/>.</summary>
    public long[] ErrorsByCode { get; }

    /// <summary>Streams with a first token.</summary>
    public long FirstTokenCount { get; internal set; }

    internal long FirstTokenMicros { get; set; }

    internal long TotalMicros { get; set; }

    internal double CoveredSeconds { get; set; }

    /// <summary>succeeded / (succeeded + failed); 1 when nothing was measured.</summary>
    public double SuccessRate => Succeeded + Failed == 0 ? 1 : (double)Succeeded / (Succeeded + Failed);

    /// <summary>failed / requests; 0 when nothing was measured.</summary>
    public double ErrorRate => Requests == 0 ? 0 : Math.Min(1, (double)Failed / Requests);

    /// <summary>The average first-token latency (ms); null when there was no first token.</summary>
    public double? AverageFirstTokenMs => FirstTokenCount == 0 ? null : FirstTokenMicros / 1000.0 / FirstTokenCount;

    /// <summary>The average stream duration (ms); null when no stream ended.</summary>
    public double? AverageTotalMs => Finished == 0 ? null : TotalMicros / 1000.0 / Finished;

    /// <summary>Tokens relayed per second over the window (or the part of it the process has lived).</summary>
    public double TokensPerSecond => Tokens / CoveredSeconds;

    /// <summary>
    /// The <paramref name="quantile"/> of first-token latency (ms), estimated from the histogram by interpolating inside
    /// the bucket that holds it; null when there was no first token. The overflow bucket answers its lower bound.
    /// </summary>
    public double? FirstTokenPercentileMs(double quantile)
    {
        if (FirstTokenCount == 0)
        {
            return null;
        }

        var total = Histogram.Sum();
        var rank = Math.Max(1, Math.Ceiling(quantile * total));
        long seen = 0;
        var bounds = StreamingMetricsWindow.LatencyBucketBoundsMs;
        for (var i = 0; i < Histogram.Length; i++)
        {
            if (Histogram[i] == 0)
            {
                continue;
            }

            if (seen + Histogram[i] >= rank)
            {
                if (i == bounds.Count)
                {
                    return bounds[^1];
                }

                var lower = i == 0 ? 0 : bounds[i - 1];
                return lower + ((bounds[i] - lower) * (rank - seen) / Histogram[i]);
            }

            seen += Histogram[i];
        }

        Debug.Fail("rank beyond the histogram");
        return bounds[^1];
    }
}
