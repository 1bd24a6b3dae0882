namespace StreamingChat.Core;

/// <summary>
/// Stream figures over a sliding window: counts by outcome, first-token latency (average and percentiles from a
/// histogram), duration, tokens. The window is a ring of intervals; a writer adds to its interval with
/// <see cref="Interlocked"/> and takes a lock only to reset an interval that has aged out (once per interval, not per
/// stream), so recording costs a few atomic additions. Readers sum the intervals still inside the window.
/// </summary>
internal sealed class StreamingMetricsWindow
{
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
        var figures = new WindowFigures(new long[WindowFigures.LatencyBucketBoundsMs.Count + 1], new long[WindowFigures.ErrorCodes.Count]);
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
        for (var i = 0; i < WindowFigures.LatencyBucketBoundsMs.Count; i++)
        {
            if (ms <= WindowFigures.LatencyBucketBoundsMs[i])
            {
                return i;
            }
        }

        return WindowFigures.LatencyBucketBoundsMs.Count;
    }

    private static int ErrorIndex(string? code)
    {
        for (var i = 0; i < WindowFigures.ErrorCodes.Count; i++)
        {
            if (WindowFigures.ErrorCodes[i] == code)
            {
                return i;
            }
        }

        return WindowFigures.ErrorCodes.Count - 1;
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
        public readonly long[] Histogram = new long[WindowFigures.LatencyBucketBoundsMs.Count + 1];
        public readonly long[] ErrorsByCode = new long[WindowFigures.ErrorCodes.Count];

        public void Reset()
        {
            Requests = Succeeded = Failed = ClientAborted = Finished = FirstTokenCount = FirstTokenMicros = TotalMicros = Tokens = 0;
            Array.Clear(Histogram);
            Array.Clear(ErrorsByCode);
        }
    }
}
