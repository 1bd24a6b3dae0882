namespace StreamingChat.Rollout;

/// <summary>A feature's rollout now.</summary>
/// <param name="Feature">The feature.</param>
/// <param name="Percentage">The share of callers it is on for, 0–100.</param>
/// <param name="Version">Raised by one on every change.</param>
/// <param name="UpdatedAt">When it last changed.</param>
/// <param name="UpdatedBy">Who changed it (<c>config</c> at start, <c>admin</c>, <c>guard</c>).</param>
/// <param name="Reason">Why, when said.</param>
/// <param name="History">Earlier states, newest first, capped.</param>
public sealed record RolloutState(string Feature, int Percentage, long Version, DateTimeOffset UpdatedAt, string UpdatedBy, string? Reason, IReadOnlyList<RolloutChange> History)
{
    /// <summary>
    /// When the current phase began: the last time the percentage was raised, as far as the history reaches; null when
    /// no raise is on record (the phase began with the configured start), so the whole window counts. The decision counts
    /// streams from here, so a new phase is judged on its own streams, and a rollback keeps showing the streams that
    /// caused it until an operator raises the percentage again.
    /// </summary>
    public DateTimeOffset? PhaseStartedAt
    {
        get
        {
            var (percentage, at) = (Percentage, UpdatedAt);
            foreach (var earlier in History)
            {
                if (percentage > earlier.Percentage)
                {
                    return at;
                }

                (percentage, at) = (earlier.Percentage, earlier.At);
            }

            return null;
        }
    }
}

/// <summary>One entry of a feature's audit history: a state it had.</summary>
/// <param name="Percentage">The percentage.</param>
/// <param name="At">When it was set.</param>
/// <param name="By">Who set it.</param>
/// <param name="Reason">Why, when said.</param>
public sealed record RolloutChange(int Percentage, DateTimeOffset At, string By, string? Reason);

/// <summary>Where rollout state lives. Reads are served from memory on every instance; a change reaches every instance.</summary>
public interface IRolloutStore
{
    /// <summary>The known features.</summary>
    IReadOnlyList<string> Features { get; }

    /// <summary>A feature's state as this instance knows it; null for an unknown feature. Never waits on the network.</summary>
    RolloutState? Get(string feature);

    /// <summary>Sets a feature's percentage and records the change; null for an unknown feature.</summary>
    Task<RolloutState?> SetAsync(string feature, int percentage, string by, string? reason, CancellationToken cancellationToken = default);
}
