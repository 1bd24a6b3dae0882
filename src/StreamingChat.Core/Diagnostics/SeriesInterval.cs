using System.Globalization;

namespace StreamingChat.Core;

/// <summary>One interval's figures of the streams (<see cref="MetricsSeries"/>): this instance's, or the service's sum.</summary>
public sealed class SeriesInterval
{
    private readonly long[] _counts;

    internal SeriesInterval(long[] counts) => _counts = counts;

    /// <summary>Streams started.</summary>
    public long Requests => _counts[SeriesLayout.Requests];

    /// <summary>Streams that sent <c>done</c>.</summary>
    public long Succeeded => _counts[SeriesLayout.Succeeded];

    /// <summary>Streams that sent <c>error</c>.</summary>
    public long Failed => _counts[SeriesLayout.Failed];

    /// <summary>Streams whose caller left first.</summary>
    public long ClientAborted => _counts[SeriesLayout.ClientAborted];

    /// <summary>Tokens relayed.</summary>
    public long Tokens => _counts[SeriesLayout.Tokens];

    /// <summary>The most streams open at once (summed over instances for the service).</summary>
    public long PeakActive => _counts[SeriesLayout.PeakActive];

    /// <summary>First tokens per bucket of <see cref="WindowFigures.LatencyBucketBoundsMs"/>, and one past the last.</summary>
    public IReadOnlyList<long> FirstTokenHistogram => new ArraySegment<long>(_counts, SeriesLayout.HistogramStart, _counts.Length - SeriesLayout.HistogramStart);

    /// <summary>The first-token percentile in milliseconds (<paramref name="quantile"/> 0.95 is the 95th); null when no stream had a first token.</summary>
    public double? FirstTokenPercentileMs(double quantile)
    {
        var histogram = _counts[SeriesLayout.HistogramStart..];
        var first = histogram.Sum();
        return first == 0 ? null : WindowFigures.FromHistogram(histogram, first).FirstTokenPercentileMs(quantile);
    }

    /// <summary>This interval's figures and <paramref name="other"/>'s added: two instances' share of the same seconds.</summary>
    public SeriesInterval Plus(SeriesInterval other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var sum = (long[])_counts.Clone();
        for (var i = 0; i < sum.Length && i < other._counts.Length; i++)
        {
            sum[i] += other._counts[i];
        }

        return new SeriesInterval(sum);
    }

    /// <summary>The form an instance shares the interval in (numbers separated by commas); read back with <see cref="TryParse"/>.</summary>
    public override string ToString() => string.Join(',', _counts.Select(c => c.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Reads an interval in the form <see cref="ToString"/> writes; false for anything else.</summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SeriesInterval? interval)
    {
        interval = null;
        var parts = text?.Split(',');
        if (parts is null || parts.Length != SeriesLayout.Length)
        {
            return false;
        }

        var counts = new long[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out counts[i]))
            {
                return false;
            }
        }

        interval = new SeriesInterval(counts);
        return true;
    }
}

/// <summary>Where each figure is in an interval's counts, as kept and as shared.</summary>
internal static class SeriesLayout
{
    public const int Requests = 0;
    public const int Succeeded = 1;
    public const int Failed = 2;
    public const int ClientAborted = 3;
    public const int Tokens = 4;
    public const int PeakActive = 5;

    /// <summary>Where the first-token histogram starts: one count per bucket of <see cref="WindowFigures.LatencyBucketBoundsMs"/>, and one past the last.</summary>
    public const int HistogramStart = 6;

    /// <summary>How many counts an interval has.</summary>
    public static readonly int Length = HistogramStart + WindowFigures.LatencyBucketBoundsMs.Count + 1;
}
