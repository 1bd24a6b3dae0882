using Microsoft.Extensions.Options;

namespace StreamingChat.Rollout;

/// <summary>Rollout state in this process: the single-machine default, starting from configuration.</summary>
public sealed class InMemoryRolloutStore : IRolloutStore
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
    public Task<RolloutState?> SetAsync(string feature, int percentage, string by, string? reason, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(percentage);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percentage, 100);
        lock (_states)
        {
            if (!_states.TryGetValue(feature, out var current))
            {
                return Task.FromResult<RolloutState?>(null);
            }

            var history = new List<RolloutChange>(_historyLength) { new(current.Percentage, current.UpdatedAt, current.UpdatedBy, current.Reason) };
            history.AddRange(current.History.Take(_historyLength - 1));
            var next = new RolloutState(feature, percentage, current.Version + 1, _time.GetUtcNow(), by, reason, history);
            _states[feature] = next;
            return Task.FromResult<RolloutState?>(next);
        }
    }
}
