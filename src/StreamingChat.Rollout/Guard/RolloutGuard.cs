using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamingChat.Core;

namespace StreamingChat.Rollout;

/// <summary>What the guard last saw of a feature.</summary>
/// <param name="State"><c>off</c>, <c>watching</c> (this instance acts), <c>standby</c> (another instance acts), <c>tripped</c> (it rolled the feature back), <c>unavailable</c> (it could not evaluate).</param>
/// <param name="Decision">The decision it last made, or null before the first evaluation.</param>
/// <param name="Reasons">Why.</param>
/// <param name="CheckedAt">When, or null before the first evaluation.</param>
internal sealed record GuardStatus(string State, string? Decision, IReadOnlyList<string> Reasons, DateTimeOffset? CheckedAt)
{
    /// <summary>The guard is not enabled.</summary>
    public const string Off = "off";

    /// <summary>This instance evaluates and acts.</summary>
    public const string Watching = "watching";

    /// <summary>Another instance holds the guard's lock.</summary>
    public const string Standby = "standby";

    /// <summary>The guard set the feature to 0 %.</summary>
    public const string Tripped = "tripped";

    /// <summary>The guard could not evaluate (for example Redis away).</summary>
    public const string Unavailable = "unavailable";
}

/// <summary>
/// The automatic rollback guard: every <see cref="RolloutGuardOptions.IntervalSeconds"/>, the instance holding the
/// guard's lock evaluates the guide's criteria over the service-wide window (streams of the feature's current phase,
/// with the guard's minimum sample size) and, when the decision is <c>rollback</c>, sets the feature to 0 % with
/// <c>updatedBy: "guard"</c> and the failing criteria as the reason, logs it at Critical and counts it in
/// <c>streamingchat.rollout.guard.trips</c>. It never raises a percentage; after a rollback an operator decides. It
/// writes only over the version it evaluated, so an operator's change made meanwhile stands. The same loop, under the
/// same lock, steps every running schedule (<see cref="RolloutScheduler"/>), whether or not the guard is enabled.
/// </summary>
internal sealed class RolloutGuard : BackgroundService
{
    private readonly IRolloutStore _store;
    private readonly RolloutScheduler _scheduler;
    private readonly ServiceWindow _window;
    private readonly IGuardLock _lock;
    private readonly RolloutMetrics _metrics;
    private readonly IOptionsMonitor<RolloutOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RolloutGuard> _logger;
    private readonly ConcurrentDictionary<string, GuardStatus> _status = new(StringComparer.Ordinal);

    internal RolloutGuard(IRolloutStore store, RolloutScheduler scheduler, ServiceWindow window, IGuardLock guardLock, StreamingChatMetrics metrics, IOptionsMonitor<RolloutOptions> options, TimeProvider time, ILogger<RolloutGuard> logger)
    {
        _store = store;
        _scheduler = scheduler;
        _window = window;
        _lock = guardLock;
        _metrics = new RolloutMetrics(metrics);
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>Whether the guard is enabled.</summary>
    public bool Enabled => _options.CurrentValue.Guard.Enabled;

    /// <summary>What the guard last saw of <paramref name="feature"/>; null when it does not watch it or has not looked yet.</summary>
    public GuardStatus? StatusOf(string feature) => _status.GetValueOrDefault(feature);

    /// <summary>Whether the guard watches <paramref name="feature"/>.</summary>
    public bool Watches(string feature) => Enabled && _options.CurrentValue.Guard.WatchedFeatures.Contains(feature, StringComparer.Ordinal);

    /// <summary>Evaluates every watched feature and every running schedule once, acting on the decisions; returns what the guard saw.</summary>
    public async Task<IReadOnlyDictionary<string, GuardStatus>> EvaluateOnceAsync(CancellationToken cancellationToken = default)
    {
        // Over 60 lines: evaluates, decides and acts for each feature in one pass under the guard's lock.
        var options = _options.CurrentValue;
        var guard = options.Guard;
        var scheduled = _store.Features.Where(f => _store.Get(f)?.Schedule is { State: RolloutSchedule.Running }).ToList();
        var watched = Enabled ? guard.WatchedFeatures : [];
        if (watched.Count == 0 && scheduled.Count == 0)
        {
            return _status;
        }

        bool leader;
        try
        {
            leader = await _lock.TryAcquireAsync(guard.LockDuration).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            foreach (var feature in watched)
            {
                RolloutLog.GuardFailed(_logger, feature, ex);
                _status[feature] = new GuardStatus(GuardStatus.Unavailable, null, ["the guard's lock could not be reached: " + ex.Message], _time.GetUtcNow());
            }

            return _status;
        }

        foreach (var feature in watched.Union(scheduled, StringComparer.Ordinal))
        {
            if (_store.Get(feature) is not { IsUnknown: false } state)
            {
                continue;
            }

            if (!leader)
            {
                if (watched.Contains(feature, StringComparer.Ordinal))
                {
                    _status[feature] = new GuardStatus(GuardStatus.Standby, null, ["another instance's guard acts"], _time.GetUtcNow());
                }

                continue;
            }

            try
            {
                var schedule = state.Schedule is { State: RolloutSchedule.Running } running ? running : null;
                var reading = await _window.ReadAsync(schedule?.StepStartedAt ?? state.PhaseStartedAt, cancellationToken).ConfigureAwait(false);
                var decision = RolloutDecision.Evaluate(feature, reading.Figures, reading.Other, options.Criteria, guard.MinSampleSize);
                if (schedule is not null)
                {
                    // The schedule acts on a rollback itself (the same write, by "schedule"); the guard stands by.
                    await _scheduler.StepAsync(state, decision, cancellationToken).ConfigureAwait(false);
                }
                else if (watched.Contains(feature, StringComparer.Ordinal))
                {
                    await GuardAsync(state, decision, reading, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                RolloutLog.GuardFailed(_logger, feature, ex);
                _status[feature] = new GuardStatus(GuardStatus.Unavailable, null, ["the guard could not evaluate: " + ex.Message], _time.GetUtcNow());
            }
        }

        return _status;
    }

    private async Task GuardAsync(RolloutState state, RolloutDecision decision, ServiceWindowReading reading, CancellationToken cancellationToken)
    {
        var feature = state.Feature;
        if (decision.Decision != RolloutDecision.Rollback || state.Percentage == 0)
        {
            var previous = StatusOf(feature);
            var stillTripped = state.Percentage == 0 && previous?.State == GuardStatus.Tripped;
            _status[feature] = new GuardStatus(stillTripped ? GuardStatus.Tripped : GuardStatus.Watching, decision.Decision, decision.Reasons, _time.GetUtcNow());
            return;
        }

        var reasons = string.Join("; ", decision.Reasons);
        var write = new RolloutWrite(0, "guard", $"automatic rollback: {reasons} (over {reading.Figures.Requests} streams, {reading.Scope})", state.Schedule);
        if (await _store.TryWriteAsync(feature, state.Version, write, cancellationToken).ConfigureAwait(false) is null)
        {
            // Someone changed the feature after this evaluation read it: their change stands, and the next evaluation judges it.
            RolloutLog.GuardOutdated(_logger, feature, _store.Get(feature)?.Version ?? 0);
            _status[feature] = new GuardStatus(GuardStatus.Watching, decision.Decision, [.. decision.Reasons, "the state changed while the guard evaluated; nothing written"], _time.GetUtcNow());
            return;
        }

        RolloutLog.GuardRolledBack(_logger, feature, state.Percentage, reasons);
        _metrics.GuardTripped(feature);
        _status[feature] = new GuardStatus(GuardStatus.Tripped, decision.Decision, decision.Reasons, _time.GetUtcNow());
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Runs whether or not the guard is enabled: schedules advance in the same loop.
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(_options.CurrentValue.Guard.IntervalSeconds), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await EvaluateOnceAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            await _lock.ReleaseAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>Keeps the shared rollout state current and adds this instance's streams to the service-wide window every second.</summary>
internal sealed class RolloutBackgroundSync(IRolloutStore store, ServiceWindow window, IOptionsMonitor<RolloutOptions> options, TimeProvider time) : BackgroundService
{
    /// <summary>
    /// Reads the shared state once before the host starts listening, so an instance serves the unknown-state percentage
    /// only while Redis cannot be reached, not for the moment after every start. Bounded: a Redis that does not answer
    /// delays the start by a few seconds at most.
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (store is RedisRolloutStore)
        {
            foreach (var feature in store.Features)
            {
                try
                {
                    await store.RefreshAsync(feature, cancellationToken).WaitAsync(TimeSpan.FromSeconds(3), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // Not now: the background loop goes on trying, and the unknown-state percentage stands until then.
                    break;
                }
            }
        }

        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var refresh = store is RedisRolloutStore redis
            ? redis.RunAsync(TimeSpan.FromSeconds(options.CurrentValue.RefreshSeconds), stoppingToken)
            : Task.CompletedTask;
        return Task.WhenAll(refresh, FlushWindowAsync(stoppingToken));
    }

    private async Task FlushWindowAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await window.FlushAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    // Kept, and added on a later tick once Redis is back.
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
