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
public sealed record GuardStatus(string State, string? Decision, IReadOnlyList<string> Reasons, DateTimeOffset? CheckedAt)
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
/// <c>streamingchat.rollout.guard.trips</c>. It never raises a percentage; after a rollback an operator decides.
/// </summary>
public sealed class RolloutGuard : BackgroundService
{
    private readonly IRolloutStore _store;
    private readonly ServiceWindow _window;
    private readonly IGuardLock _lock;
    private readonly StreamingChatMetrics _metrics;
    private readonly IOptionsMonitor<RolloutOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RolloutGuard> _logger;
    private readonly ConcurrentDictionary<string, GuardStatus> _status = new(StringComparer.Ordinal);

    internal RolloutGuard(IRolloutStore store, ServiceWindow window, IGuardLock guardLock, StreamingChatMetrics metrics, IOptionsMonitor<RolloutOptions> options, TimeProvider time, ILogger<RolloutGuard> logger)
    {
        _store = store;
        _window = window;
        _lock = guardLock;
        _metrics = metrics;
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

    /// <summary>Evaluates every watched feature once, acting on a rollback decision; returns what it saw.</summary>
    public async Task<IReadOnlyDictionary<string, GuardStatus>> EvaluateOnceAsync(CancellationToken cancellationToken = default)
    {
        var options = _options.CurrentValue;
        var guard = options.Guard;
        bool leader;
        try
        {
            leader = await _lock.TryAcquireAsync(guard.LockDuration).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            foreach (var feature in guard.WatchedFeatures)
            {
                RolloutLog.GuardFailed(_logger, feature, ex);
                _status[feature] = new GuardStatus(GuardStatus.Unavailable, null, ["the guard's lock could not be reached: " + ex.Message], _time.GetUtcNow());
            }

            return _status;
        }

        foreach (var feature in guard.WatchedFeatures)
        {
            if (_store.Get(feature) is not { } state)
            {
                continue;
            }

            if (!leader)
            {
                _status[feature] = new GuardStatus(GuardStatus.Standby, null, ["another instance's guard acts"], _time.GetUtcNow());
                continue;
            }

            try
            {
                var reading = await _window.ReadAsync(state.PhaseStartedAt, cancellationToken).ConfigureAwait(false);
                var decision = RolloutDecision.Evaluate(feature, reading.Figures, options.Criteria, guard.MinSampleSize);
                if (decision.Decision != RolloutDecision.Rollback || state.Percentage == 0)
                {
                    var previous = StatusOf(feature);
                    var stillTripped = state.Percentage == 0 && previous?.State == GuardStatus.Tripped;
                    _status[feature] = new GuardStatus(stillTripped ? GuardStatus.Tripped : GuardStatus.Watching, decision.Decision, decision.Reasons, _time.GetUtcNow());
                    continue;
                }

                var reasons = string.Join("; ", decision.Reasons);
                await _store.SetAsync(feature, 0, "guard", $"automatic rollback: {reasons} (over {reading.Figures.Requests} streams, {reading.Scope})", cancellationToken).ConfigureAwait(false);
                RolloutLog.GuardRolledBack(_logger, feature, state.Percentage, reasons);
                _metrics.GuardTripped(feature);
                _status[feature] = new GuardStatus(GuardStatus.Tripped, decision.Decision, decision.Reasons, _time.GetUtcNow());
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                RolloutLog.GuardFailed(_logger, feature, ex);
                _status[feature] = new GuardStatus(GuardStatus.Unavailable, null, ["the guard could not evaluate: " + ex.Message], _time.GetUtcNow());
            }
        }

        return _status;
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            return;
        }

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
