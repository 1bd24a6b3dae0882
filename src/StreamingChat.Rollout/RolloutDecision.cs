using System.Globalization;
using StreamingChat.Core;

namespace StreamingChat.Rollout;

/// <summary>One of the guide's decision criteria, evaluated.</summary>
/// <param name="Name">The figure (<c>errorRate</c>, <c>successRate</c>, <c>avgFirstTokenMs</c>).</param>
/// <param name="Value">Its value over the window; null when there is none.</param>
/// <param name="ProceedIf">The condition for proceeding, e.g. <c>&lt; 0.01</c>.</param>
/// <param name="RollbackIf">The condition for rolling back, e.g. <c>&gt; 0.02</c>.</param>
/// <param name="Met">Whether the proceed condition holds.</param>
/// <param name="Failing">Whether the rollback condition holds.</param>
internal sealed record RolloutCriterion(string Name, double? Value, string ProceedIf, string RollbackIf, bool Met, bool Failing);

/// <summary>The guide's rollout decision: <c>proceed</c>, <c>hold</c> or <c>rollback</c>, with the criteria behind it.</summary>
/// <param name="Feature">The feature.</param>
/// <param name="Decision"><c>proceed</c>, <c>hold</c> or <c>rollback</c>.</param>
/// <param name="Criteria">Each criterion.</param>
/// <param name="SampleSize">Streams in the window.</param>
/// <param name="Reasons">Why, in words.</param>
internal sealed record RolloutDecision(string Feature, string Decision, IReadOnlyList<RolloutCriterion> Criteria, long SampleSize, IReadOnlyList<string> Reasons)
{
    /// <summary>
    /// Which rule decided: <see cref="SampleRule"/> (too few streams), <see cref="AbsoluteRule"/> (the guide's thresholds
    /// alone) or <see cref="CohortRule"/> (the thresholds, then the streaming cohort against the non-streaming one).
    /// </summary>
    public string Rule { get; init; } = AbsoluteRule;

    /// <summary>The non-streaming cohort's figures the streaming cohort was compared with; null when none were read.</summary>
    public WindowFigures? Other { get; init; }

    /// <summary>The streaming cohort's figures.</summary>
    public WindowFigures? Streaming { get; init; }

    /// <summary>Too few streams to decide.</summary>
    public const string SampleRule = "sample";

    /// <summary>The guide's thresholds decided alone.</summary>
    public const string AbsoluteRule = "absolute";

    /// <summary>The thresholds, then the comparison of the streaming cohort with the non-streaming cohort, decided.</summary>
    public const string CohortRule = "cohort";

    /// <summary>Proceed to the next phase.</summary>
    public const string Proceed = "proceed";

    /// <summary>Stay at this phase.</summary>
    public const string Hold = "hold";

    /// <summary>Set the feature to 0 %.</summary>
    public const string Rollback = "rollback";

    /// <summary>
    /// Evaluates the criteria over <paramref name="figures"/>: proceed when every proceed condition holds, rollback when
    /// any rollback condition holds, hold otherwise and while the sample is smaller than the minimum (<paramref name="minSampleSize"/>, else the
    /// criteria's own).
    /// </summary>
    public static RolloutDecision Evaluate(string feature, WindowFigures figures, RolloutCriteriaOptions limits, int? minSampleSize = null)
        => Evaluate(feature, figures, other: null, limits, minSampleSize);

    /// <summary>
    /// Evaluates the criteria over the streaming cohort's <paramref name="figures"/>, as the overload without a cohort
    /// does; and when the rollback conditions hold and the non-streaming cohort (<paramref name="other"/>) has at least
    /// <see cref="RolloutCriteriaOptions.CohortMinSampleSize"/> streams, rolls back only for a criterion on which streaming
    /// is worse than that cohort by the settable margin: an outage that hits every caller alike is not streaming's fault,
    /// and the decision is then <c>hold</c> by the <see cref="CohortRule"/>.
    /// </summary>
    public static RolloutDecision Evaluate(string feature, WindowFigures figures, WindowFigures? other, RolloutCriteriaOptions limits, int? minSampleSize = null)
    {
        ArgumentNullException.ThrowIfNull(figures);
        ArgumentNullException.ThrowIfNull(limits);
        var minimum = minSampleSize ?? limits.MinSampleSize;
        var avg = figures.AverageFirstTokenMs;
        RolloutCriterion[] criteria =
        [
            new("errorRate", Math.Round(figures.ErrorRate, 4), $"< {F(limits.ProceedMaxErrorRate)}", $"> {F(limits.RollbackErrorRate)}",
                figures.ErrorRate < limits.ProceedMaxErrorRate, figures.ErrorRate > limits.RollbackErrorRate),
            new("successRate", Math.Round(figures.SuccessRate, 4), $"> {F(limits.ProceedMinSuccessRate)}", $"< {F(limits.RollbackSuccessRate)}",
                figures.SuccessRate > limits.ProceedMinSuccessRate, figures.SuccessRate < limits.RollbackSuccessRate),
            new("avgFirstTokenMs", avg is { } a ? Math.Round(a, 1) : null, $"< {F(limits.ProceedMaxAvgFirstTokenMs)}", $"> {F(limits.RollbackAvgFirstTokenMs)}",
                avg < limits.ProceedMaxAvgFirstTokenMs, avg > limits.RollbackAvgFirstTokenMs),
        ];

        if (figures.Requests < minimum)
        {
            return new(feature, Hold, criteria, figures.Requests, [$"the sample ({figures.Requests}) is smaller than {minimum}"]) { Rule = SampleRule, Streaming = figures, Other = other };
        }

        var failing = criteria.Where(c => c.Failing).ToList();
        if (failing.Count > 0)
        {
            if (other is null || other.Requests < limits.CohortMinSampleSize)
            {
                return new(feature, Rollback, criteria, figures.Requests, [.. failing.Select(Failure)]) { Streaming = figures, Other = other };
            }

            var blamed = failing.Where(c => WorseThanOther(c.Name, figures, other, limits)).ToList();
            return blamed.Count > 0
                ? new(feature, Rollback, criteria, figures.Requests, [.. blamed.Select(c => $"{Failure(c)}, worse than the non-streaming cohort's {OtherValue(c.Name, other)}")]) { Rule = CohortRule, Streaming = figures, Other = other }
                : new(feature, Hold, criteria, figures.Requests, [.. failing.Select(c => $"{Failure(c)}, but the non-streaming cohort is as bad ({OtherValue(c.Name, other)}): not streaming's fault")]) { Rule = CohortRule, Streaming = figures, Other = other };
        }

        var unmet = criteria.Where(c => !c.Met).Select(c => $"{c.Name} is not {c.ProceedIf}").ToList();
        return unmet.Count == 0
            ? new(feature, Proceed, criteria, figures.Requests, ["every proceed criterion holds"]) { Streaming = figures, Other = other }
            : new(feature, Hold, criteria, figures.Requests, unmet) { Streaming = figures, Other = other };
    }

    private static string Failure(RolloutCriterion criterion) => $"{criterion.Name} {F(criterion.Value ?? 0)} {criterion.RollbackIf}";

    /// <summary>Whether the streaming cohort is worse than the other on <paramref name="criterion"/> by more than the margin.</summary>
    private static bool WorseThanOther(string criterion, WindowFigures streaming, WindowFigures other, RolloutCriteriaOptions limits) => criterion switch
    {
        "errorRate" => streaming.ErrorRate > other.ErrorRate + limits.CohortErrorRateMargin,
        "successRate" => streaming.SuccessRate < other.SuccessRate - limits.CohortErrorRateMargin,
        _ => streaming.AverageFirstTokenMs > (other.AverageFirstTokenMs ?? 0) + limits.CohortFirstTokenMarginMs,
    };

    private static string OtherValue(string criterion, WindowFigures other) => criterion switch
    {
        "errorRate" => F(Math.Round(other.ErrorRate, 4)),
        "successRate" => F(Math.Round(other.SuccessRate, 4)),
        _ => other.AverageFirstTokenMs is { } avg ? F(Math.Round(avg, 1)) : "none",
    };

    private static string F(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}
