using System.ComponentModel.DataAnnotations;

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
    public RolloutCriteriaOptions Criteria { get; set; } = new();

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
