using Microsoft.Extensions.Time.Testing;
using StreamingChat.Core;

namespace StreamingChat.Rollout.Tests;

public sealed class RolloutDecisionTests
{
    private static WindowFigures Figures(int succeeded, int failed, double firstTokenMs)
    {
        var window = new StreamingMetricsWindow(TimeSpan.FromMinutes(5), new FakeTimeProvider());
        for (var i = 0; i < succeeded + failed; i++)
        {
            window.RecordStarted();
            window.RecordFinished(i < failed ? StreamOutcome.Failed : StreamOutcome.Succeeded, i < failed ? ChatErrorCodes.UpstreamUnavailable : null, firstTokenMs, firstTokenMs * 3, 10);
        }

        return window.Read();
    }

    [Fact]
    public void Evaluate_HealthyLargeSample_Proceeds()
    {
        var decision = RolloutDecision.Evaluate("streaming", Figures(995, 5, 400), new RolloutCriteriaOptions());

        Assert.Equal(RolloutDecision.Proceed, decision.Decision);
        Assert.All(decision.Criteria, c => Assert.True(c.Met));
        Assert.Equal(1000, decision.SampleSize);
        Assert.Equal(["errorRate", "successRate", "avgFirstTokenMs"], decision.Criteria.Select(c => c.Name));
        Assert.Equal(("< 0.01", "> 0.02"), (decision.Criteria[0].ProceedIf, decision.Criteria[0].RollbackIf));
    }

    [Fact]
    public void Evaluate_SmallSample_Holds()
        => Assert.Equal(RolloutDecision.Hold, RolloutDecision.Evaluate("streaming", Figures(50, 0, 100), new RolloutCriteriaOptions()).Decision);

    [Theory]
    [InlineData(970, 30, 400, "errorRate")]
    [InlineData(1000, 0, 2500, "avgFirstTokenMs")]
    public void Evaluate_PastARollbackCriterion_RollsBackNamingIt(int succeeded, int failed, double firstTokenMs, string failing)
    {
        var decision = RolloutDecision.Evaluate("streaming", Figures(succeeded, failed, firstTokenMs), new RolloutCriteriaOptions());

        Assert.Equal(RolloutDecision.Rollback, decision.Decision);
        Assert.Contains(decision.Reasons, r => r.StartsWith(failing, StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_BetweenProceedAndRollback_Holds()
    {
        var decision = RolloutDecision.Evaluate("streaming", Figures(985, 15, 1500), new RolloutCriteriaOptions());

        Assert.Equal(RolloutDecision.Hold, decision.Decision);
        Assert.False(decision.Criteria.Single(c => c.Name == "errorRate").Met);
    }
}
