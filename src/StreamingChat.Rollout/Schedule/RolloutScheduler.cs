using Microsoft.Extensions.Logging;
using StreamingChat.Core;

namespace StreamingChat.Rollout;

/// <summary>What an operator asks of a schedule.</summary>
internal enum ScheduleCommand
{
    /// <summary>Hold the schedule at its step.</summary>
    Pause,

    /// <summary>Let a paused schedule advance again (its soak starts over).</summary>
    Resume,

    /// <summary>End the schedule, keeping the percentage or setting 0.</summary>
    Abort,

    /// <summary>Move to the next step now.</summary>
    Promote,
}

/// <summary>Why a schedule command was refused.</summary>
internal enum ScheduleRefusal
{
    /// <summary>Nothing was refused.</summary>
    None,

    /// <summary>The feature is not known.</summary>
    UnknownFeature,

    /// <summary>A schedule is running or paused already (start), or none is (the other commands).</summary>
    Conflict,
}

/// <summary>
/// The progressive rollout schedules: started, paused, resumed, aborted and promoted by operators, and advanced, completed
/// or rolled back by the acting instance's evaluation (<see cref="StepAsync"/>, run by the guard's loop under its lock).
/// Every change is a compare-and-set write of the feature's state and schedule together; every step change is in the
/// audit trail as made by <c>schedule</c>, logged, and counted in <c>streamingchat.rollout.schedule.changes</c>.
/// </summary>
internal sealed class RolloutScheduler
{
    private readonly IRolloutStore _store;
    private readonly RolloutMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<RolloutScheduler> _logger;

    internal RolloutScheduler(IRolloutStore store, StreamingChatMetrics metrics, TimeProvider time, ILogger<RolloutScheduler> logger)
    {
        _store = store;
        _metrics = new RolloutMetrics(metrics);
        _time = time;
        _logger = logger;
    }

    /// <summary>Starts a schedule at its first step; refused while one is running or paused.</summary>
    public Task<(RolloutState? State, ScheduleRefusal Refusal)> StartAsync(string feature, IReadOnlyList<int> steps, int soakSeconds, int minSamples, string by, string? reason, CancellationToken cancellationToken = default)
        => ChangeAsync(feature, "started", cancellationToken, current =>
        {
            if (current.Schedule is { IsActive: true })
            {
                return null;
            }

            var schedule = new RolloutSchedule(RolloutSchedule.Running, [.. steps], 0, soakSeconds, minSamples, _time.GetUtcNow(), null, null, [], reason);
            return new RolloutWrite(steps[0], by, $"schedule started: step 1 of {steps.Count}" + (reason is null ? "" : $" ({reason})"), schedule);
        });

    /// <summary>Pauses, resumes, aborts or promotes the feature's schedule; refused when it has none running or paused (resume: paused).</summary>
    public Task<(RolloutState? State, ScheduleRefusal Refusal)> CommandAsync(string feature, ScheduleCommand command, string by, bool keepPercentage = true, CancellationToken cancellationToken = default)
        => ChangeAsync(feature, command switch { ScheduleCommand.Pause => "paused", ScheduleCommand.Resume => "resumed", ScheduleCommand.Abort => "aborted", _ => "promoted" }, cancellationToken, current =>
        {
            if (current.Schedule is not { IsActive: true } schedule)
            {
                return null;
            }

            var now = _time.GetUtcNow();
            switch (command)
            {
                case ScheduleCommand.Pause when schedule.State == RolloutSchedule.Running:
                    return new RolloutWrite(null, by, null, schedule with { State = RolloutSchedule.Paused, ProceedSince = null });
                case ScheduleCommand.Resume when schedule.State == RolloutSchedule.Paused:
                    return new RolloutWrite(null, by, null, schedule with { State = RolloutSchedule.Running, ProceedSince = null });
                case ScheduleCommand.Abort:
                    var ended = schedule with { State = RolloutSchedule.Aborted, ProceedSince = null };
                    return keepPercentage ? new RolloutWrite(null, by, null, ended) : new RolloutWrite(0, by, "schedule aborted", ended);
                case ScheduleCommand.Promote:
                    return schedule.AtLastStep
                        ? new RolloutWrite(null, by, null, schedule with { State = RolloutSchedule.Completed, ProceedSince = null })
                        : Advance(schedule, by, now, "promoted");
                default:
                    return null;
            }
        });

    /// <summary>
    /// Applies one evaluation of a running schedule: a <c>rollback</c> sets 0 and ends it as rolled back; a <c>hold</c>
    /// restarts the soak; a <c>proceed</c> held for the whole soak with at least <see cref="RolloutSchedule.MinSamples"/>
    /// streams moves to the next step, or completes the schedule at its last. Written over <paramref name="state"/>'s
    /// version only: if anyone wrote since it was read, nothing is written.
    /// </summary>
    public async Task<RolloutState?> StepAsync(RolloutState state, RolloutDecision decision, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(decision);
        if (state.Schedule is not { State: RolloutSchedule.Running } schedule)
        {
            return null;
        }

        var now = _time.GetUtcNow();
        var seen = schedule with { Decision = decision.Decision, Reasons = decision.Reasons };
        (RolloutWrite Write, string? Action) next;
        if (decision.Decision == RolloutDecision.Rollback)
        {
            next = (new RolloutWrite(0, "schedule", "schedule rolled back: " + string.Join("; ", decision.Reasons), seen with { State = RolloutSchedule.RolledBack, ProceedSince = null }), "rolled_back");
        }
        else if (decision.Decision != RolloutDecision.Proceed)
        {
            next = (new RolloutWrite(null, "schedule", null, seen with { ProceedSince = null }), null);
        }
        else
        {
            var since = schedule.ProceedSince ?? now;
            var soaked = now - since >= TimeSpan.FromSeconds(schedule.SoakSeconds) && decision.SampleSize >= schedule.MinSamples;
            next = !soaked
                ? (new RolloutWrite(null, "schedule", null, seen with { ProceedSince = since }), null)
                : schedule.AtLastStep
                    ? (new RolloutWrite(null, "schedule", null, seen with { State = RolloutSchedule.Completed, ProceedSince = null }), "completed")
                    : (Advance(seen, "schedule", now, $"proceed for {schedule.SoakSeconds} s over {decision.SampleSize} streams"), "advanced");
        }

        if (next.Action is null && next.Write.Schedule!.Decision == schedule.Decision && next.Write.Schedule.ProceedSince == schedule.ProceedSince)
        {
            return state; // nothing new to record: the same decision, the same soak
        }

        var written = await _store.TryWriteAsync(state.Feature, state.Version, next.Write, cancellationToken).ConfigureAwait(false);
        if (written is not null && next.Action is not null)
        {
            Record(written, next.Action);
        }

        return written;
    }

    private static RolloutWrite Advance(RolloutSchedule schedule, string by, DateTimeOffset now, string why)
    {
        var index = schedule.StepIndex + 1;
        return new RolloutWrite(schedule.Steps[index], by, $"schedule step {index + 1} of {schedule.Steps.Count}: {why}",
            schedule with { StepIndex = index, StepStartedAt = now, ProceedSince = null });
    }

    private async Task<(RolloutState? State, ScheduleRefusal Refusal)> ChangeAsync(string feature, string action, CancellationToken cancellationToken, Func<RolloutState, RolloutWrite?> decide)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (_store.Get(feature) is not { } current)
            {
                return (null, ScheduleRefusal.UnknownFeature);
            }

            if (decide(current) is not { } write)
            {
                return (current, ScheduleRefusal.Conflict);
            }

            if (await _store.TryWriteAsync(feature, current.Version, write, cancellationToken).ConfigureAwait(false) is { } written)
            {
                Record(written, action);
                return (written, ScheduleRefusal.None);
            }

            await _store.RefreshAsync(feature, cancellationToken).ConfigureAwait(false);
        }

        throw new InvalidOperationException($"The rollout state of '{feature}' kept changing under this write; try again.");
    }

    private void Record(RolloutState state, string action)
    {
        RolloutLog.ScheduleChanged(_logger, state.Feature, action, state.Percentage, state.Schedule?.State ?? "none", state.UpdatedBy);
        _metrics.ScheduleChanged(state.Feature, action);
    }
}
