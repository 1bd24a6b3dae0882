using StackExchange.Redis;

namespace StreamingChat.Core;

/// <summary>The instances' part of the shared log: leases, stops asked elsewhere, and answers whose producer is gone.</summary>
internal sealed partial class RedisAnswerLog
{
    /// <inheritdoc/>
    public async ValueTask<bool> IsProducerAliveAsync(string messageId, CancellationToken cancellationToken = default)
    {
        if (await _local.GetAsync(messageId, cancellationToken).ConfigureAwait(false) is { } local)
        {
            return local.IsRunning;
        }

        var values = await _redis.Database.HashGetAsync(MetaKey(messageId), "producer").ConfigureAwait(false);
        return !values.IsNull && await _redis.Database.KeyExistsAsync(LeaseKey(values.ToString())).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask RequestStopAsync(string messageId, CancellationToken cancellationToken = default)
        => await _redis.Multiplexer.GetSubscriber().PublishAsync(StopChannel, messageId).ConfigureAwait(false);

    /// <inheritdoc/>
    public async ValueTask<bool> IsReadElsewhereAsync(string messageId, CancellationToken cancellationToken = default)
        => await TryRedisAsync(() => _redis.Database.KeyExistsAsync(ReadKey(messageId))).ConfigureAwait(false);

    /// <inheritdoc/>
    public async ValueTask<bool> TryClaimAsync(string messageId, CancellationToken cancellationToken = default)
    {
        var claimFor = TimeSpan.FromSeconds(Math.Max(5, _options.CurrentValue.LeaseSeconds));
        return await _redis.Database.StringSetAsync(ClaimKey(messageId), InstanceId, claimFor, When.NotExists).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<long?> EndElsewhereAsync(string messageId, AnswerEvent terminal, MessageStatus status, CancellationToken cancellationToken = default)
    {
        if (!terminal.IsTerminal)
        {
            throw new ArgumentException("Only a done or error event ends an answer.", nameof(terminal));
        }

        var (field, value) = AnswerEventCodec.Encode(terminal);
        var count = await AppendScriptAsync(messageId, -1, StatusName(status), [field, value], endedElsewhere: true).ConfigureAwait(false);
        if (count <= 0)
        {
            return null;
        }

        await _redis.Database.HashDeleteAsync(RunningKey, messageId, CommandFlags.FireAndForget).ConfigureAwait(false);
        return count - 1;
    }

    /// <summary>Renews this instance's lease; true when Redis took it.</summary>
    internal async Task<bool> RenewLeaseAsync()
    {
        var leaseFor = TimeSpan.FromSeconds(_options.CurrentValue.LeaseSeconds);
        var renewed = await TryRedisAsync(async () => await _redis.Database.StringSetAsync(LeaseKey(InstanceId), "1", leaseFor).ConfigureAwait(false)).ConfigureAwait(false);
        Volatile.Write(ref _leaseRenewedAt, renewed ? _time.GetTimestamp() : 0);
        return renewed;
    }

    /// <summary>Gives the lease up, when the instance stops with nothing left running.</summary>
    internal Task ReleaseLeaseAsync() => TryRedisAsync(() => _redis.Database.KeyDeleteAsync(LeaseKey(InstanceId)));

    /// <summary>Ends the running answers of instances whose lease has lapsed, and forgets the ended ones in the running set.</summary>
    internal async Task SweepAsync(CancellationToken cancellationToken)
    {
        var database = _redis.Database;
        var running = await database.HashGetAllAsync(RunningKey).ConfigureAwait(false);
        var alive = new Dictionary<string, bool>(StringComparer.Ordinal) { [InstanceId] = true };
        foreach (var entry in running)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var producer = entry.Value.ToString();
            if (!alive.TryGetValue(producer, out var isAlive))
            {
                alive[producer] = isAlive = await database.KeyExistsAsync(LeaseKey(producer)).ConfigureAwait(false);
            }

            if (isAlive)
            {
                continue;
            }

            var messageId = entry.Name.ToString();
            var snapshot = await ReadSnapshotAsync(messageId).ConfigureAwait(false);
            if (snapshot is not { IsRunning: true })
            {
                await database.HashDeleteAsync(RunningKey, messageId).ConfigureAwait(false);
            }
            else if (_producerLost is { } lost)
            {
                await lost(snapshot).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Asks what another instance asked of this one: a stop of an answer it produces.</summary>
    internal ValueTask OnStopRequestedAsync(string messageId) => _stopRequested?.Invoke(messageId) ?? ValueTask.CompletedTask;
}
