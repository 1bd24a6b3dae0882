using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.Rollout.Tests;

/// <summary>The progressive schedule on a fake clock: it advances on proceed held for the soak, restarts the soak on hold, rolls back on rollback.</summary>
public sealed class RolloutScheduleTests
{
    private const int Soak = 30;

    private sealed class Parts
    {
        public Parts(IRolloutStore? store = null, System.Diagnostics.Metrics.IMeterFactory? meters = null)
        {
            var options = RolloutTestParts.Options(o =>
            {
                o.Criteria.MinSampleSize = 10;
                o.Guard.WindowSeconds = 120;
            });
            Metrics = TestMeterFactory.CreateMetrics(Time, factory: meters);
            Store = store ?? new InMemoryRolloutStore(Options.Create(options), Time);
            Scheduler = new RolloutScheduler(Store, Metrics, Time, NullLogger<RolloutScheduler>.Instance);
            Guard = new RolloutGuard(Store, Scheduler, RolloutTestParts.Window(Metrics, options, time: Time), new InMemoryGuardLock(), Metrics, new StaticOptionsMonitor<RolloutOptions>(options), Time, NullLogger<RolloutGuard>.Instance);
        }

        public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero));

        public StreamingChatMetrics Metrics { get; }

        public IRolloutStore Store { get; }

        public RolloutScheduler Scheduler { get; }

        public RolloutGuard Guard { get; }

        public RolloutState State => Store.Get("streaming")!;

        public RolloutSchedule Schedule => State.Schedule!;

        /// <summary>Healthy traffic a moment later, then an evaluation.</summary>
        public async Task HealthyAsync(int streams = 20, int seconds = 2)
        {
            Time.Advance(TimeSpan.FromSeconds(seconds));
            RolloutTestParts.Streams(Metrics, succeeded: streams, failed: 0);
            await Guard.EvaluateOnceAsync();
        }
    }

    [Fact]
    public async Task Schedule_AdvancesThroughEachStep_ThenCompletes_UnderHealthyTraffic()
    {
        using var meters = new TestMeterFactory();
        var actions = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (i, l) =>
            {
                if (i.Name == RolloutTelemetry.Instruments.ScheduleChanges && i.Meter.Scope == meters)
                {
                    l.EnableMeasurementEvents(i);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == RolloutTelemetry.Tags.ScheduleAction)
                {
                    actions.Enqueue((string)tag.Value!);
                }
            }
        });
        listener.Start();
        var parts = new Parts(meters: meters);
        var (started, refusal) = await parts.Scheduler.StartAsync("streaming", [1, 5, 10], Soak, minSamples: 10, "admin", "phased");
        Assert.Equal((ScheduleRefusal.None, 1, RolloutSchedule.Running), (refusal, started!.Percentage, started.Schedule!.State));

        foreach (var (step, next) in new[] { (1, 5), (5, 10) })
        {
            await parts.HealthyAsync();
            Assert.Equal((step, RolloutDecision.Proceed), (parts.State.Percentage, parts.Schedule.Decision));
            Assert.NotNull(parts.Schedule.ProceedSince);

            await parts.HealthyAsync(streams: 5, seconds: Soak);
            Assert.Equal(next, parts.State.Percentage);
            Assert.Equal("schedule", parts.State.UpdatedBy);
        }

        await parts.HealthyAsync();
        await parts.HealthyAsync(streams: 5, seconds: Soak);

        Assert.Equal((10, RolloutSchedule.Completed), (parts.State.Percentage, parts.Schedule.State));
        Assert.Equal([5, 1, 100], parts.State.History.Select(h => h.Percentage)); // each step in the audit trail, newest first
        Assert.Equal(["schedule", "admin", "config"], parts.State.History.Select(h => h.By));
        Assert.Equal(["started", "advanced", "advanced", "completed"], actions);
    }

    [Fact]
    public async Task Hold_OneSecondBeforeTheSoakEnds_RestartsTheSoak()
    {
        var parts = new Parts();
        await parts.Scheduler.StartAsync("streaming", [1, 5], Soak, minSamples: 10, "admin", null);
        await parts.HealthyAsync();

        // One second before the soak ends, slow first tokens make the decision hold (average over 1000 ms, under 2000).
        parts.Time.Advance(TimeSpan.FromSeconds(Soak - 1));
        RolloutTestParts.Streams(parts.Metrics, succeeded: 100, failed: 0, firstTokenMs: 1500);
        await parts.Guard.EvaluateOnceAsync();
        Assert.Equal((RolloutDecision.Hold, null, 1), (parts.Schedule.Decision, parts.Schedule.ProceedSince, parts.State.Percentage));

        // Fast again: proceed starts a new soak, which a second later is far from over.
        await parts.HealthyAsync(streams: 100);
        Assert.Equal(RolloutDecision.Proceed, parts.Schedule.Decision);
        await parts.HealthyAsync(streams: 5, seconds: Soak - 2);
        Assert.Equal(1, parts.State.Percentage);
        await parts.HealthyAsync(streams: 5, seconds: 2);
        Assert.Equal(5, parts.State.Percentage);
    }

    [Fact]
    public async Task FailingTrafficAtAStep_RollsBackToZero_AndTheScheduleSaysRolledBackWithTheCriteria()
    {
        var parts = new Parts();
        await parts.Scheduler.StartAsync("streaming", [1, 5, 10], Soak, minSamples: 10, "admin", null);
        await parts.HealthyAsync();
        await parts.HealthyAsync(streams: 5, seconds: Soak);
        Assert.Equal(5, parts.State.Percentage);

        parts.Time.Advance(TimeSpan.FromSeconds(2));
        RolloutTestParts.Streams(parts.Metrics, succeeded: 10, failed: 10);
        await parts.Guard.EvaluateOnceAsync();

        Assert.Equal((0, "schedule"), (parts.State.Percentage, parts.State.UpdatedBy));
        Assert.Equal(RolloutSchedule.RolledBack, parts.Schedule.State);
        Assert.Contains(parts.Schedule.Reasons, r => r.StartsWith("errorRate 0.5 > 0.02", StringComparison.Ordinal));
        Assert.Contains("errorRate", parts.State.Reason, StringComparison.Ordinal);

        // Ended: it acts no more, and a new schedule may start.
        await parts.HealthyAsync();
        Assert.Equal(0, parts.State.Percentage);
        Assert.Equal(ScheduleRefusal.None, (await parts.Scheduler.StartAsync("streaming", [1], Soak, 10, "admin", null)).Refusal);
    }

    [Fact]
    public async Task PauseResumeAbortPromote_EachDoWhatTheySay_AndAStartWhileActiveIsRefused()
    {
        var parts = new Parts();
        await parts.Scheduler.StartAsync("streaming", [1, 5, 10], Soak, minSamples: 10, "admin", null);
        Assert.Equal(ScheduleRefusal.Conflict, (await parts.Scheduler.StartAsync("streaming", [2], Soak, 10, "admin", null)).Refusal);

        Assert.Equal(RolloutSchedule.Paused, (await parts.Scheduler.CommandAsync("streaming", ScheduleCommand.Pause, "admin")).State!.Schedule!.State);
        await parts.HealthyAsync();
        await parts.HealthyAsync(streams: 5, seconds: Soak * 2);
        Assert.Equal(1, parts.State.Percentage); // paused: no advance
        Assert.Equal(ScheduleRefusal.Conflict, (await parts.Scheduler.CommandAsync("streaming", ScheduleCommand.Pause, "admin")).Refusal);

        Assert.Equal(RolloutSchedule.Running, (await parts.Scheduler.CommandAsync("streaming", ScheduleCommand.Resume, "admin")).State!.Schedule!.State);
        var promoted = (await parts.Scheduler.CommandAsync("streaming", ScheduleCommand.Promote, "ops")).State!;
        Assert.Equal((5, "ops", 1), (promoted.Percentage, promoted.UpdatedBy, promoted.Schedule!.StepIndex));

        var kept = (await parts.Scheduler.CommandAsync("streaming", ScheduleCommand.Abort, "admin", keepPercentage: true)).State!;
        Assert.Equal((5, RolloutSchedule.Aborted), (kept.Percentage, kept.Schedule!.State));
        Assert.Equal(ScheduleRefusal.Conflict, (await parts.Scheduler.CommandAsync("streaming", ScheduleCommand.Resume, "admin")).Refusal);

        await parts.Scheduler.StartAsync("streaming", [20, 30], Soak, 10, "admin", null);
        var zeroed = (await parts.Scheduler.CommandAsync("streaming", ScheduleCommand.Abort, "admin", keepPercentage: false)).State!;
        Assert.Equal((0, RolloutSchedule.Aborted), (zeroed.Percentage, zeroed.Schedule!.State));
    }

    [Fact]
    public async Task FailuresInBothCohortsAlike_AreNotBlamedOnStreaming_FailuresOnlyInStreaming_AreRolledBack()
    {
        var both = new Parts();
        await both.Store.SetAsync("streaming", 25, "admin", null);
        both.Time.Advance(TimeSpan.FromSeconds(2));
        RolloutTestParts.Streams(both.Metrics, succeeded: 10, failed: 10);
        RolloutTestParts.Streams(both.Metrics, succeeded: 30, failed: 30, streaming: false);
        var window = RolloutTestParts.Window(both.Metrics, RolloutTestParts.Options(o => o.Guard.WindowSeconds = 120), time: both.Time);
        var reading = await window.ReadAsync(both.State.PhaseStartedAt);
        var decision = RolloutDecision.Evaluate("streaming", reading.Figures, reading.Other, new RolloutCriteriaOptions { MinSampleSize = 10 });

        Assert.Equal((RolloutDecision.Hold, RolloutDecision.CohortRule), (decision.Decision, decision.Rule));
        Assert.Contains(decision.Reasons, r => r.Contains("not streaming's fault", StringComparison.Ordinal));

        var streamingOnly = RolloutDecision.Evaluate("streaming", reading.Figures, new WindowFiguresBuilder(60, 60, 0).Figures, new RolloutCriteriaOptions { MinSampleSize = 10 });
        Assert.Equal((RolloutDecision.Rollback, RolloutDecision.CohortRule), (streamingOnly.Decision, streamingOnly.Rule));
        Assert.Contains(streamingOnly.Reasons, r => r.Contains("worse than the non-streaming cohort's 0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Guard_WithFailuresInBothCohorts_DoesNotRollBack_WithFailuresOnlyInStreaming_Does()
    {
        var options = RolloutTestParts.Options(o => { o.Guard.Enabled = true; o.Guard.MinSampleSize = 10; o.Guard.WindowSeconds = 120; });
        async Task<RolloutState> RunAsync(bool otherFails)
        {
            var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero));
            var metrics = TestMeterFactory.CreateMetrics(time);
            var store = new InMemoryRolloutStore(Options.Create(options), time);
            var guard = new RolloutGuard(store, new RolloutScheduler(store, metrics, time, NullLogger<RolloutScheduler>.Instance), RolloutTestParts.Window(metrics, options, time: time), new InMemoryGuardLock(), metrics, new StaticOptionsMonitor<RolloutOptions>(options), time, NullLogger<RolloutGuard>.Instance);
            await store.SetAsync("streaming", 25, "admin", null);
            time.Advance(TimeSpan.FromSeconds(2));
            RolloutTestParts.Streams(metrics, succeeded: 10, failed: 10);
            RolloutTestParts.Streams(metrics, succeeded: 30, failed: otherFails ? 30 : 0, streaming: false);
            await guard.EvaluateOnceAsync();
            return store.Get("streaming")!;
        }

        Assert.Equal(25, (await RunAsync(otherFails: true)).Percentage);
        Assert.Equal((0, "guard"), ((await RunAsync(otherFails: false)).Percentage, (await RunAsync(otherFails: false)).UpdatedBy));
    }

    [Fact]
    public async Task GuardEvaluatesAVersion_AnOperatorWritesTheNext_ThenTheGuardsWriteIsRefused_AndTheOperatorsPercentageStands()
    {
        var inner = new InMemoryRolloutStore(Options.Create(RolloutTestParts.Options()), TimeProvider.System);
        var store = new OperatorBetweenStore(inner);
        var options = RolloutTestParts.Options(o => { o.Guard.Enabled = true; o.Guard.MinSampleSize = 10; });
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var metrics = TestMeterFactory.CreateMetrics(time);
        var guard = new RolloutGuard(store, new RolloutScheduler(store, metrics, time, NullLogger<RolloutScheduler>.Instance), RolloutTestParts.Window(metrics, options, time: time), new InMemoryGuardLock(), metrics, new StaticOptionsMonitor<RolloutOptions>(options), time, NullLogger<RolloutGuard>.Instance);
        await inner.SetAsync("streaming", 25, "admin", null);
        var evaluated = inner.Get("streaming")!.Version;
        time.Advance(TimeSpan.FromSeconds(2));
        RolloutTestParts.Streams(metrics, succeeded: 5, failed: 15);

        var status = await guard.EvaluateOnceAsync();

        var state = inner.Get("streaming")!;
        Assert.Equal((evaluated + 1, 40, "operator"), (state.Version, state.Percentage, state.UpdatedBy));
        Assert.DoesNotContain(state.History, h => h.By == "guard");
        Assert.Contains("nothing written", status["streaming"].Reasons[^1], StringComparison.Ordinal);
    }

    /// <summary>A store where an operator's write lands between the guard's evaluation and its write.</summary>
    private sealed class OperatorBetweenStore(InMemoryRolloutStore inner) : IRolloutStore
    {
        public IReadOnlyList<string> Features => inner.Features;

        public RolloutState? Get(string feature) => inner.Get(feature);

        public async Task<RolloutState?> TryWriteAsync(string feature, long expectedVersion, RolloutWrite write, CancellationToken cancellationToken = default)
        {
            if (write.By == "guard")
            {
                await inner.SetAsync(feature, 40, "operator", "raised while the guard looked", cancellationToken);
            }

            return await inner.TryWriteAsync(feature, expectedVersion, write, cancellationToken);
        }

        public Task<RolloutState?> RefreshAsync(string feature, CancellationToken cancellationToken = default) => inner.RefreshAsync(feature, cancellationToken);
    }

    /// <summary>Window figures of a cohort, for the decision alone.</summary>
    private sealed record WindowFiguresBuilder(long Requests, long Succeeded, long Failed)
    {
        public WindowFigures Figures => WindowFigures.FromCounts(Requests, Succeeded, Failed, 0, Succeeded, Succeeded * 200_000);
    }
}
