namespace StreamingChat.Rollout.Tests;

public sealed class RolloutStateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    private static RolloutState State(int percentage, int minutes, params (int Percentage, int Minutes)[] earlier)
        => new("streaming", percentage, earlier.Length + 1, T0.AddMinutes(minutes), "admin", null, [.. earlier.Select(e => new RolloutChange(e.Percentage, T0.AddMinutes(e.Minutes), "admin", null))]);

    [Fact]
    public void PhaseStartedAt_IsTheLastRaise()
    {
        Assert.Null(State(100, 0).PhaseStartedAt);
        Assert.Equal(T0.AddMinutes(20), State(5, 20, (1, 10), (100, 0)).PhaseStartedAt);

        // A rollback keeps the phase that caused it until the percentage is raised again.
        Assert.Equal(T0.AddMinutes(20), State(0, 30, (5, 20), (1, 10), (100, 0)).PhaseStartedAt);
        Assert.Equal(T0.AddMinutes(40), State(1, 40, (0, 30), (5, 20)).PhaseStartedAt);

        // No raise on record (the configured start, then the kill switch): the whole window.
        Assert.Null(State(0, 30, (100, 0)).PhaseStartedAt);
    }

    [Fact]
    public void Validator_ChecksTheNestedGuardAndCriteria()
    {
        var options = new RolloutOptions();
        options.Guard.IntervalSeconds = 0;
        options.Criteria.RollbackErrorRate = 2;

        var result = new RolloutOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("Guard:IntervalSeconds", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("Criteria:RollbackErrorRate", StringComparison.Ordinal));
        Assert.True(new RolloutOptionsValidator().Validate(null, new RolloutOptions()).Succeeded);
    }
}
