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
public sealed record RolloutCriterion(string Name, double? Value, string ProceedIf, string RollbackIf, bool Met, bool Failing);

/// <summary>The guide's rollout decision: <c>proceed</c>, <c>hold</c> or <c>rollback</c>, with the criteria behind it.</summary>
/// <param name="Feature">The feature.</param>
/// <param name="Decision"><c>proceed</c>, <c>hold</c> or <c>rollback</c>.</param>
/// <param name="Criteria">Each criterion.</param>
/// <param name="SampleSize">Streams in the window.</param>
/// <param name="Reasons">Why, in words.</param>
public sealed record RolloutDecision(string Feature, string Decision, IReadOnlyList<RolloutCriterion> Criteria, long SampleSize, IReadOnlyList<string> Reasons)
{
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
            return new(feature, Hold, criteria, figures.Requests, [$"the sample ({figures.Requests}) is smaller than {minimum}"]);
        }

        var failing = criteria.Where(c => c.Failing).Select(c => $"{c.Name} {F(c.Value ?? 0)} {c.RollbackIf}").ToList();
        if (failing.Count > 0)
        {
            return new(feature, Rollback, criteria, figures.Requests, failing);
        }

        var unmet = criteria.Where(c => !c.Met).Select(c => $"{c.Name} is not {c.ProceedIf}").ToList();
        return unmet.Count == 0
            ? new(feature, Proceed, criteria, figures.Requests, ["every proceed criterion holds"])
            : new(feature, Hold, criteria, figures.Requests, unmet);
    }

    private static string F(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}
