using StreamingChat.Core;

namespace StreamingChat.Rollout;

/// <summary>What the service-wide window adds up: the counts the decision criteria are computed from.</summary>
internal readonly record struct WindowCounts(long Requests, long Succeeded, long Failed, long ClientAborted, long FirstTokens, long FirstTokenMicros)
{
    public static readonly string[] FieldNames = ["requests", "succeeded", "failed", "clientAborted", "firstTokens", "firstTokenMicros"];

    public bool IsZero => this == default;

    public static WindowCounts Of(StreamingChatMetrics metrics)
    {
        var totals = metrics.Totals;
        var first = metrics.FirstTokens;
        return new(totals.Requests, totals.Succeeded, totals.Failed, totals.ClientAborted, first.Count, first.TotalMicroseconds);
    }

    public static WindowCounts operator +(WindowCounts a, WindowCounts b)
        => new(a.Requests + b.Requests, a.Succeeded + b.Succeeded, a.Failed + b.Failed, a.ClientAborted + b.ClientAborted, a.FirstTokens + b.FirstTokens, a.FirstTokenMicros + b.FirstTokenMicros);

    public static WindowCounts operator -(WindowCounts a, WindowCounts b)
        => new(a.Requests - b.Requests, a.Succeeded - b.Succeeded, a.Failed - b.Failed, a.ClientAborted - b.ClientAborted, a.FirstTokens - b.FirstTokens, a.FirstTokenMicros - b.FirstTokenMicros);

    public long[] ToArray() => [Requests, Succeeded, Failed, ClientAborted, FirstTokens, FirstTokenMicros];

    public static WindowCounts FromArray(long[] values) => new(values[0], values[1], values[2], values[3], values[4], values[5]);

    public WindowFigures ToFigures() => WindowFigures.FromCounts(Requests, Succeeded, Failed, ClientAborted, FirstTokens, FirstTokenMicros);
}
