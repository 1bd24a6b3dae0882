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
    /// <summary>The feature's progressive rollout schedule, when one was started; kept with the state, under its version.</summary>
    public RolloutSchedule? Schedule { get; init; }

    /// <summary>Whether this is what an instance serves before it has read the shared state (version 0).</summary>
    public bool IsUnknown => Version == 0;

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

/// <summary>A change to a feature's state, written only over the version it was decided on.</summary>
/// <param name="Percentage">The new percentage, recorded in the audit history with <paramref name="By"/> and <paramref name="Reason"/>; null to keep it (a schedule's bookkeeping only).</param>
/// <param name="By">Who changes it (<c>admin</c> or a key's name, <c>guard</c>, <c>schedule</c>).</param>
/// <param name="Reason">Why, when said.</param>
/// <param name="Schedule">The schedule the state carries after the change (null: none).</param>
public sealed record RolloutWrite(int? Percentage, string By, string? Reason, RolloutSchedule? Schedule);

/// <summary>
/// Where rollout state lives. Reads are served from memory on every instance; a change reaches every instance. Every
/// write is compare-and-set on the feature's version, and no instance ever replaces a state by one of a lower version.
/// </summary>
public interface IRolloutStore
{
    /// <summary>The known features.</summary>
    IReadOnlyList<string> Features { get; }

    /// <summary>A feature's state as this instance knows it; null for an unknown feature. Never waits on the network.</summary>
    RolloutState? Get(string feature);

    /// <summary>
    /// Writes <paramref name="write"/> if the feature is still at <paramref name="expectedVersion"/>, raising the version by
    /// one; the new state, or null when the feature is unknown or someone wrote first (nothing is changed then).
    /// </summary>
    Task<RolloutState?> TryWriteAsync(string feature, long expectedVersion, RolloutWrite write, CancellationToken cancellationToken = default);

    /// <summary>Rereads the feature's shared state now (a no-op where the state lives in this process); the state this instance then holds.</summary>
    Task<RolloutState?> RefreshAsync(string feature, CancellationToken cancellationToken = default);
}

/// <summary>Writes made of compare-and-set steps.</summary>
public static class RolloutStoreExtensions
{
    /// <summary>
    /// Sets a feature's percentage over whatever version it is at now (read again and retried when another writer was
    /// first), keeping its schedule; null for an unknown feature.
    /// </summary>
    public static async Task<RolloutState?> SetAsync(this IRolloutStore store, string feature, int percentage, string by, string? reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentOutOfRangeException.ThrowIfNegative(percentage);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percentage, 100);
        for (var attempt = 0; ; attempt++)
        {
            if (store.Get(feature) is not { } current)
            {
                return null;
            }

            if (await store.TryWriteAsync(feature, current.Version, new RolloutWrite(percentage, by, reason, current.Schedule), cancellationToken).ConfigureAwait(false) is { } written)
            {
                return written;
            }

            if (attempt == 4)
            {
                throw new InvalidOperationException($"The rollout state of '{feature}' kept changing under this write; try again.");
            }

            await store.RefreshAsync(feature, cancellationToken).ConfigureAwait(false);
        }
    }
}
