namespace StreamingChat.Rollout;

/// <summary>
/// A progressive rollout that advances itself (API.md "Progressive rollout schedule"): the feature moves to each step once
/// the decision has been <c>proceed</c> for the whole soak with at least <see cref="MinSamples"/> streams at that step; a
/// <c>hold</c> restarts the soak; a <c>rollback</c> sets 0 and ends it as <see cref="RolledBack"/>.
/// </summary>
/// <param name="State"><see cref="Running"/>, <see cref="Paused"/>, <see cref="Completed"/>, <see cref="RolledBack"/> or <see cref="Aborted"/>.</param>
/// <param name="Steps">The percentages, rising strictly within 1–100.</param>
/// <param name="StepIndex">The step the feature is at.</param>
/// <param name="SoakSeconds">How long the decision must say proceed at a step before the next.</param>
/// <param name="MinSamples">The fewest streams a step needs before it is left.</param>
/// <param name="StepStartedAt">When the current step began.</param>
/// <param name="ProceedSince">Since when the decision has said proceed without a break; null while it does not.</param>
/// <param name="Decision">The decision last seen, or null before the first.</param>
/// <param name="Reasons">Why.</param>
/// <param name="Reason">Why the schedule was started, as the operator said.</param>
public sealed record RolloutSchedule(
    string State,
    IReadOnlyList<int> Steps,
    int StepIndex,
    int SoakSeconds,
    int MinSamples,
    DateTimeOffset StepStartedAt,
    DateTimeOffset? ProceedSince,
    string? Decision,
    IReadOnlyList<string> Reasons,
    string? Reason)
{
    /// <summary>Advancing by itself.</summary>
    public const string Running = "running";

    /// <summary>Held at its step by an operator.</summary>
    public const string Paused = "paused";

    /// <summary>Reached its last step.</summary>
    public const string Completed = "completed";

    /// <summary>Rolled back to 0 by a failing decision.</summary>
    public const string RolledBack = "rolledBack";

    /// <summary>Stopped by an operator.</summary>
    public const string Aborted = "aborted";

    /// <summary>The percentage of the current step.</summary>
    public int Percentage => Steps[StepIndex];

    /// <summary>Whether the schedule still steers the feature (running or paused): manual changes wait until it ends.</summary>
    public bool IsActive => State is Running or Paused;

    /// <summary>Whether the step is the last.</summary>
    public bool AtLastStep => StepIndex == Steps.Count - 1;
}
