using StreamingChat.Core;

namespace StreamingChat.Rollout;

/// <summary>One cohort's counts in the service-wide window: what the decision criteria are computed from.</summary>
internal readonly record struct CohortCounts(long Requests, long Succeeded, long Failed, long ClientAborted, long FirstTokens, long FirstTokenMicros)
{
    public static CohortCounts Of(CohortTotals totals)
        => new(totals.Requests, totals.Succeeded, totals.Failed, totals.ClientAborted, totals.FirstTokens, totals.FirstTokenMicros);

    public static CohortCounts operator +(CohortCounts a, CohortCounts b)
        => new(a.Requests + b.Requests, a.Succeeded + b.Succeeded, a.Failed + b.Failed, a.ClientAborted + b.ClientAborted, a.FirstTokens + b.FirstTokens, a.FirstTokenMicros + b.FirstTokenMicros);

    public static CohortCounts operator -(CohortCounts a, CohortCounts b)
        => new(a.Requests - b.Requests, a.Succeeded - b.Succeeded, a.Failed - b.Failed, a.ClientAborted - b.ClientAborted, a.FirstTokens - b.FirstTokens, a.FirstTokenMicros - b.FirstTokenMicros);

    public WindowFigures ToFigures() => WindowFigures.FromCounts(Requests, Succeeded, Failed, ClientAborted, FirstTokens, FirstTokenMicros);
}

/// <summary>
/// What the service-wide window adds up per interval: the streaming cohort (callers the rollout streams to) and the
/// other cohort (answered in one piece), so the decision can tell a fault of streaming from one that hits everyone.
/// </summary>
internal readonly record struct WindowCounts(CohortCounts Streaming, CohortCounts Other)
{
    /// <summary>The fields of an interval's Redis hash: the streaming cohort's, then the other cohort's.</summary>
    public static readonly string[] FieldNames =
    [
        "requests", "succeeded", "failed", "clientAborted", "firstTokens", "firstTokenMicros",
        "other:requests", "other:succeeded", "other:failed", "other:clientAborted", "other:firstTokens", "other:firstTokenMicros",
    ];

    public bool IsZero => this == default;

    public static WindowCounts Of(StreamingChatMetrics metrics)
        => new(CohortCounts.Of(metrics.ReadCohort(streaming: true)), CohortCounts.Of(metrics.ReadCohort(streaming: false)));

    public static WindowCounts operator +(WindowCounts a, WindowCounts b) => new(a.Streaming + b.Streaming, a.Other + b.Other);

    public static WindowCounts operator -(WindowCounts a, WindowCounts b) => new(a.Streaming - b.Streaming, a.Other - b.Other);

    public long[] ToArray() =>
    [
        Streaming.Requests, Streaming.Succeeded, Streaming.Failed, Streaming.ClientAborted, Streaming.FirstTokens, Streaming.FirstTokenMicros,
        Other.Requests, Other.Succeeded, Other.Failed, Other.ClientAborted, Other.FirstTokens, Other.FirstTokenMicros,
    ];

    public static WindowCounts FromArray(long[] v)
        => new(new(v[0], v[1], v[2], v[3], v[4], v[5]), new(v[6], v[7], v[8], v[9], v[10], v[11]));
}
