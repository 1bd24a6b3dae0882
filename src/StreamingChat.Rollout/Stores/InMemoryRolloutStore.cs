using Microsoft.Extensions.Options;

namespace StreamingChat.Rollout;

/// <summary>Rollout state in this process: the single-machine default, starting from configuration.</summary>
internal sealed class InMemoryRolloutStore : IRolloutStore
{
    private readonly Dictionary<string, RolloutState> _states = new(StringComparer.Ordinal);
    private readonly int _historyLength;
    private readonly TimeProvider _time;

    /// <summary>Creates the store with every configured feature at its starting percentage.</summary>
    public InMemoryRolloutStore(IOptions<RolloutOptions> options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _time = timeProvider;
        _historyLength = options.Value.HistoryLength;
        var now = timeProvider.GetUtcNow();
        foreach (var (feature, percentage) in options.Value.StartingPercentages())
        {
            _states[feature] = new RolloutState(feature, percentage, 1, now, "config", null, []);
        }

        Features = [.. _states.Keys.Order(StringComparer.Ordinal)];
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> Features { get; }

    /// <inheritdoc/>
    public RolloutState? Get(string feature)
    {
        lock (_states)
        {
            return _states.GetValueOrDefault(feature);
        }
    }

    /// <inheritdoc/>
    public Task<RolloutState?> TryWriteAsync(string feature, long expectedVersion, RolloutWrite write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        lock (_states)
        {
            if (!_states.TryGetValue(feature, out var current) || current.Version != expectedVersion)
            {
                return Task.FromResult<RolloutState?>(null);
            }

            var next = write.Percentage is not { } percentage
                ? current with { Version = current.Version + 1, Schedule = write.Schedule }
                : new RolloutState(feature, percentage, current.Version + 1, _time.GetUtcNow(), write.By, write.Reason,
                    [new(current.Percentage, current.UpdatedAt, current.UpdatedBy, current.Reason), .. current.History.Take(_historyLength - 1)])
                { Schedule = write.Schedule };
            _states[feature] = next;
            return Task.FromResult<RolloutState?>(next);
        }
    }

    /// <inheritdoc/>
    public Task<RolloutState?> RefreshAsync(string feature, CancellationToken cancellationToken = default) => Task.FromResult(Get(feature));
}
