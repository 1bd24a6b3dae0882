using System.Diagnostics.Metrics;
using StreamingChat.Core;

namespace StreamingChat.Rollout;

/// <summary>
/// The rollout's instruments, on Core's <c>StreamingChat</c> meter (<see cref="StreamingChatMetrics.Meter"/>), so one
/// <c>AddMeter("StreamingChat")</c> exports them with the streams' own. A meter hands back the instrument it already has
/// for a name, so every part of the rollout that makes these shares the same three counters.
/// </summary>
internal sealed class RolloutMetrics(StreamingChatMetrics metrics)
{
    private readonly Counter<long> _decisions = metrics.Meter.CreateCounter<long>(RolloutTelemetry.Instruments.Decisions, "{decision}", "Rollout decisions, by feature and result.");
    private readonly Counter<long> _guardTrips = metrics.Meter.CreateCounter<long>(RolloutTelemetry.Instruments.GuardTrips, "{trip}", "Times the rollout guard set a feature to 0 %.");
    private readonly Counter<long> _scheduleChanges = metrics.Meter.CreateCounter<long>(RolloutTelemetry.Instruments.ScheduleChanges, "{change}", "Changes of rollout schedules, by feature and action.");

    /// <summary>Records a rollout decision for a caller.</summary>
    public void Decision(string feature, bool enabled)
    {
        if (_decisions.Enabled)
        {
            _decisions.Add(1, new(RolloutTelemetry.Tags.Feature, feature), new(RolloutTelemetry.Tags.FeatureEnabled, enabled));
        }
    }

    /// <summary>Counts the guard setting <paramref name="feature"/> to 0 %.</summary>
    public void GuardTripped(string feature) => _guardTrips.Add(1, new KeyValuePair<string, object?>(RolloutTelemetry.Tags.Feature, feature));

    /// <summary>Counts a rollout schedule's change of <paramref name="feature"/> (<paramref name="action"/>: started, advanced, completed, …).</summary>
    public void ScheduleChanged(string feature, string action)
        => _scheduleChanges.Add(1, new KeyValuePair<string, object?>(RolloutTelemetry.Tags.Feature, feature), new KeyValuePair<string, object?>(RolloutTelemetry.Tags.ScheduleAction, action));
}
