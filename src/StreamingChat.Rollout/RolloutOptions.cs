using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace StreamingChat.Rollout;

/// <summary>The rollout, bound from <c>StreamingChat:Rollout</c>.</summary>
public sealed class RolloutOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "StreamingChat:Rollout";

    /// <summary>The feature that decides whether a caller's answer is streamed.</summary>
    public const string StreamingFeature = "streaming";

    /// <summary>The features and their starting percentages; <c>streaming</c> starts at 100 unless configured.</summary>
    public Dictionary<string, RolloutFeatureOptions> Features { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How many changes each feature's audit history keeps (default 50).</summary>
    [Range(1, 10_000)]
    public int HistoryLength { get; set; } = 50;

    /// <summary>The guide's decision criteria.</summary>
    [ValidateObjectMembers]
    public RolloutCriteriaOptions Criteria { get; set; } = new();

    /// <summary>The service-wide window the decision reads, and the automatic rollback guard.</summary>
    [ValidateObjectMembers]
    public RolloutGuardOptions Guard { get; set; } = new();

    /// <summary>How often each instance re-reads the shared state from Redis, besides the change channel (default 5 s).</summary>
    [Range(1, 3600)]
    public int RefreshSeconds { get; set; } = 5;

    /// <summary>
    /// What an instance serves while it has never read the shared state (Redis away at its start): default 0, streaming
    /// off, which every client handles, rather than a configured 100 % that may undo a kill switch.
    /// </summary>
    [Range(0, 100)]
    public int UnknownStatePercentage { get; set; }

    /// <summary>The starting percentage of every known feature.</summary>
    internal IReadOnlyDictionary<string, int> StartingPercentages()
    {
        var result = new Dictionary<string, int>(StringComparer.Ordinal) { [StreamingFeature] = 100 };
        foreach (var (name, feature) in Features)
        {
            result[name] = feature.Percentage;
        }

        return result;
    }
}

/// <summary>One feature's starting state.</summary>
public sealed class RolloutFeatureOptions
{
    /// <summary>The starting percentage, 0–100 (default 100).</summary>
    [Range(0, 100)]
    public int Percentage { get; set; } = 100;
}

/// <summary>The deployment guide's rollout decision criteria.</summary>
public sealed class RolloutCriteriaOptions
{
    /// <summary>
    /// How much higher the streaming cohort's error rate must be than the non-streaming cohort's for a rollback to blame
    /// streaming (default 0.01), when that cohort has <see cref="CohortMinSampleSize"/> streams.
    /// </summary>
    [Range(0.0, 1.0)]
    public double CohortErrorRateMargin { get; set; } = 0.01;

    /// <summary>How much slower (ms) the streaming cohort's average first token must be than the other cohort's for a rollback (default 250).</summary>
    [Range(0, 600_000)]
    public double CohortFirstTokenMarginMs { get; set; } = 250;

    /// <summary>The fewest non-streaming streams the comparison needs; with fewer, the absolute criteria decide alone (default 20).</summary>
    [Range(1, 1_000_000)]
    public int CohortMinSampleSize { get; set; } = 20;

    /// <summary>Proceed needs an error rate below this (default 0.01).</summary>
    [Range(0.0, 1.0)]
    public double ProceedMaxErrorRate { get; set; } = 0.01;

    /// <summary>Proceed needs a success rate above this (default 0.95).</summary>
    [Range(0.0, 1.0)]
    public double ProceedMinSuccessRate { get; set; } = 0.95;

    /// <summary>Proceed needs an average first-token latency below this many ms (default 1000).</summary>
    [Range(1, 600_000)]
    public double ProceedMaxAvgFirstTokenMs { get; set; } = 1000;

    /// <summary>Roll back past this error rate (default 0.02).</summary>
    [Range(0.0, 1.0)]
    public double RollbackErrorRate { get; set; } = 0.02;

    /// <summary>Roll back below this success rate (default 0.90).</summary>
    [Range(0.0, 1.0)]
    public double RollbackSuccessRate { get; set; } = 0.90;

    /// <summary>Roll back past this average first-token latency in ms (default 2000).</summary>
    [Range(1, 600_000)]
    public double RollbackAvgFirstTokenMs { get; set; } = 2000;

    /// <summary>Below this many streams in the window the decision is <c>hold</c> (default 100).</summary>
    [Range(1, 10_000_000)]
    public int MinSampleSize { get; set; } = 100;
}

/// <summary>
/// The guard, bound from <c>StreamingChat:Rollout:Guard</c>: it evaluates the decision criteria over the service-wide
/// window and sets a feature to 0 % when the decision is <c>rollback</c>. Off unless <see cref="Enabled"/>.
/// </summary>
public sealed class RolloutGuardOptions
{
    /// <summary>Whether the guard acts (default false).</summary>
    public bool Enabled { get; set; }

    /// <summary>How often the guard evaluates (default 10 s).</summary>
    [Range(1, 3600)]
    public int IntervalSeconds { get; set; } = 10;

    /// <summary>
    /// The service-wide window the decision and the guard read (default 300 s). Only streams since the feature's last
    /// raise count (<see cref="RolloutState.PhaseStartedAt"/>), so a new phase is judged on its own streams.
    /// </summary>
    [Range(1, 86_400)]
    public int WindowSeconds { get; set; } = 300;

    /// <summary>
    /// The length of one interval of the service-wide window (default 1 s); its counters expire with the window. The
    /// window may hold at most 3600 intervals.
    /// </summary>
    [Range(1, 3600)]
    public int BucketSeconds { get; set; } = 1;

    /// <summary>The fewest streams the guard acts on; the criteria's <c>MinSampleSize</c> when empty.</summary>
    [Range(1, 10_000_000)]
    public int? MinSampleSize { get; set; }

    /// <summary>How long the acting instance's lock lasts without renewal (default three intervals).</summary>
    [Range(1, 86_400)]
    public int? LockSeconds { get; set; }

    /// <summary>The features the guard watches (default <c>streaming</c>).</summary>
    public List<string> Features { get; set; } = [];

    internal IReadOnlyList<string> WatchedFeatures => Features.Count == 0 ? [RolloutOptions.StreamingFeature] : Features;

    internal TimeSpan LockDuration => TimeSpan.FromSeconds(LockSeconds ?? IntervalSeconds * 3);
}

/// <summary>Checks the nested rollout options, which data annotations on the root do not reach.</summary>
internal sealed class RolloutOptionsValidator : IValidateOptions<RolloutOptions>
{
    public ValidateOptionsResult Validate(string? name, RolloutOptions options)
    {
        var failures = new List<string>();
        Check(options.Criteria, "StreamingChat:Rollout:Criteria", failures);
        Check(options.Guard, "StreamingChat:Rollout:Guard", failures);
        if (options.Guard.BucketSeconds > 0 && options.Guard.WindowSeconds / options.Guard.BucketSeconds > 3600)
        {
            failures.Add("StreamingChat:Rollout:Guard: WindowSeconds / BucketSeconds may be at most 3600 intervals; raise BucketSeconds.");
        }
        foreach (var (feature, settings) in options.Features)
        {
            Check(settings, $"StreamingChat:Rollout:Features:{feature}", failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(object value, string section, List<string> failures)
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true))
        {
            failures.AddRange(results.Select(r => $"{section}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
        }
    }
}
