using System.Diagnostics;

namespace StreamingChat.Core;

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
        => new(new long[LatencyBucketBoundsMs.Count + 1], new long[ErrorCodes.Count])
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
        => new(histogram, new long[ErrorCodes.Count]) { FirstTokenCount = firstTokenCount, CoveredSeconds = 1 };

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

    /// <summary>Counts per first-token latency bucket (bounds in <see cref="LatencyBucketBoundsMs"/>, then the overflow).</summary>
    public long[] Histogram { get; }

    /// <summary>Failures per code, in the order of <see cref="ErrorCodes"/>.</summary>
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
        var bounds = LatencyBucketBoundsMs;
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
