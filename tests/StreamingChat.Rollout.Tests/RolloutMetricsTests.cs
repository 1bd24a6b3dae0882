using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.Rollout.Tests;

public sealed class RolloutMetricsTests
{
    [Fact]
    public void RolloutAndGuard_AreCountedOnTheStreamingChatMeter()
    {
        using var factory = new TestMeterFactory();
        var metrics = TestMeterFactory.CreateMetrics(factory: factory);
        using var decisions = new MetricCollector<long>(factory, StreamingChatTelemetry.Name, RolloutTelemetry.Instruments.Decisions);
        using var trips = new MetricCollector<long>(factory, StreamingChatTelemetry.Name, RolloutTelemetry.Instruments.GuardTrips);

        var rollout = new RolloutMetrics(metrics);
        rollout.Decision("streaming", enabled: false);
        rollout.GuardTripped("streaming");
        new RolloutMetrics(metrics).GuardTripped("streaming"); // a second part of the rollout shares the counter

        Assert.Equal(false, Assert.Single(decisions.GetMeasurementSnapshot()).Tags[RolloutTelemetry.Tags.FeatureEnabled]);
        Assert.All(trips.GetMeasurementSnapshot(), m => Assert.Equal("streaming", m.Tags[RolloutTelemetry.Tags.Feature]));
        Assert.Equal(2, trips.GetMeasurementSnapshot().Count);
    }
}
