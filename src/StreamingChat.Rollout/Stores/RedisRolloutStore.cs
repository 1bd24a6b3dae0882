using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamingChat.Core;

namespace StreamingChat.Rollout;

/// <summary>
/// Rollout state shared by every instance through Redis. Each feature is a hash (<c>{prefix}rollout:{{feature}}</c>, the
/// feature's name in braces as the keys' hash tag, so the pair lives in one slot of a Redis Cluster:
/// percentage, version, updatedAt, updatedBy, reason, schedule) with its audit history in a capped list beside it. Every
/// change is one Lua script that writes only over the version it was decided on (compare-and-set), raises the version,
/// records the history and announces the change on <c>{prefix}rollout:changes</c>. Every instance answers from its own
/// copy, which the channel refreshes at once and a periodic re-read repairs, and which a lower version never replaces.
/// An instance that has never read Redis serves <see cref="RolloutOptions.UnknownStatePercentage"/> (streaming off by
/// default, which every client handles). A Redis that comes back empty is seeded again with the highest version an
/// instance holds; from configuration only when no instance knows better. If Redis is away, the last known state stands.
/// </summary>
internal sealed class RedisRolloutStore : IRolloutStore
{
    // KEYS: state hash, history list. ARGV: expected version, '1' when the percentage is set, percentage, now (unix ms),
    // by, reason, history length, schedule (JSON or ''), channel, feature. Returns the new version; 0 when the feature is
    // not in Redis; minus the current version when it is not the expected one (nothing written).
    private const string WriteScript = """
        local cur = redis.call('HMGET', KEYS[1], 'percentage', 'version', 'updatedAt', 'updatedBy', 'reason')
        if not cur[2] then return 0 end
        local version = tonumber(cur[2])
        if version ~= tonumber(ARGV[1]) then return -version end
        if ARGV[2] == '1' then
          redis.call('LPUSH', KEYS[2], cjson.encode({ percentage = tonumber(cur[1]), at = tonumber(cur[3]), by = cur[4], reason = cur[5] }))
          redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[7]) - 1)
          redis.call('HSET', KEYS[1], 'percentage', ARGV[3], 'updatedAt', ARGV[4], 'updatedBy', ARGV[5], 'reason', ARGV[6])
        end
        redis.call('HSET', KEYS[1], 'version', tostring(version + 1), 'schedule', ARGV[8])
        redis.call('PUBLISH', ARGV[9], ARGV[10])
        return version + 1
        """;

    // KEYS: state hash, history list. ARGV: percentage, version, updatedAt (unix ms), updatedBy, reason, schedule, channel,
    // feature, then history entries (newest first). Writes the state only over an absent or lower version.
    private const string SeedScript = """
        local cur = redis.call('HGET', KEYS[1], 'version')
        if cur and tonumber(cur) >= tonumber(ARGV[2]) then return tonumber(cur) end
        redis.call('HSET', KEYS[1], 'percentage', ARGV[1], 'version', ARGV[2], 'updatedAt', ARGV[3], 'updatedBy', ARGV[4], 'reason', ARGV[5], 'schedule', ARGV[6])
        redis.call('DEL', KEYS[2])
        for i = 9, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
        redis.call('PUBLISH', ARGV[7], ARGV[8])
        return tonumber(ARGV[2])
        """;

    private static readonly RedisValue[] StateFields = ["percentage", "version", "updatedAt", "updatedBy", "reason", "schedule"];

    private readonly StreamingChatRedis _redis;
    private readonly IReadOnlyDictionary<string, int> _starting;
    private readonly int _historyLength;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisRolloutStore> _logger;
    private readonly ConcurrentDictionary<string, RolloutState> _states = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _unavailable = new(StringComparer.Ordinal);

    /// <summary>Creates the store; until Redis is read, every feature stands at <see cref="RolloutOptions.UnknownStatePercentage"/>.</summary>
    public RedisRolloutStore(StreamingChatRedis redis, IOptions<RolloutOptions> options, TimeProvider timeProvider, ILogger<RedisRolloutStore> logger)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _redis = redis;
        _time = timeProvider;
        _logger = logger;
        _historyLength = options.Value.HistoryLength;
        _starting = options.Value.StartingPercentages();
        var now = timeProvider.GetUtcNow();
        foreach (var feature in _starting.Keys)
        {
            // Version 0: not read yet; any state read from Redis replaces it.
            _states[feature] = new RolloutState(feature, options.Value.UnknownStatePercentage, 0, now, "unknown", "the shared state has not been read yet", []);
        }

        Features = [.. _starting.Keys.Order(StringComparer.Ordinal)];
        Channel = redis.Channel("rollout:changes");
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> Features { get; }

    /// <summary>The channel a change is announced on (the message is the feature's name).</summary>
    public RedisChannel Channel { get; }

    /// <inheritdoc/>
    public RolloutState? Get(string feature) => _states.GetValueOrDefault(feature);

    /// <summary>
    /// Writes <paramref name="write"/> for every instance if the feature is still at <paramref name="expectedVersion"/>;
    /// null when it is not (this instance's copy is then read again) or the feature is unknown. Throws
    /// <see cref="RedisException"/> (nothing changed anywhere) when Redis cannot be reached.
    /// </summary>
    public async Task<RolloutState?> TryWriteAsync(string feature, long expectedVersion, RolloutWrite write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        if (!_starting.ContainsKey(feature))
        {
            return null;
        }

        RedisValue[] args =
        [
            expectedVersion, write.Percentage is null ? "0" : "1", write.Percentage ?? 0, _time.GetUtcNow().ToUnixTimeMilliseconds(),
            write.By, write.Reason ?? "", _historyLength, RolloutScheduleJson.Write(write.Schedule), Channel.ToString(), feature,
        ];
        var version = (long)await _redis.Database.ScriptEvaluateAsync(WriteScript, [StateKey(feature), HistoryKey(feature)], args).WaitAsync(cancellationToken).ConfigureAwait(false);
        var now = await RefreshAsync(feature, cancellationToken).ConfigureAwait(false);
        return version > 0 && now?.Version >= version ? now : null;
    }
    /// <summary>Keeps this instance's copy current until <paramref name="stoppingToken"/>: the change channel, and a re-read every <paramref name="period"/>.</summary>
    internal async Task RunAsync(TimeSpan period, CancellationToken stoppingToken)
    {
        var subscribed = false;
        using var timer = new PeriodicTimer(period, _time);
        do
        {
            if (!subscribed)
            {
                subscribed = await TrySubscribeAsync().ConfigureAwait(false);
            }

            foreach (var feature in Features)
            {
                await TryRefreshAsync(feature, stoppingToken).ConfigureAwait(false);
            }
        }
        while (await WaitAsync(timer, stoppingToken).ConfigureAwait(false));

        if (subscribed)
        {
            try
            {
                await _redis.Multiplexer.GetSubscriber().UnsubscribeAsync(Channel).ConfigureAwait(false);
            }
            catch (RedisException)
            {
                // Leaving anyway.
            }
        }
    }

    /// <summary>
    /// Reads a feature from Redis and takes it unless this instance knows a higher version; a Redis that holds no state
    /// or a lower version is seeded with what this instance knows (the configured start when it knows nothing).
    /// </summary>
    public async Task<RolloutState?> RefreshAsync(string feature, CancellationToken cancellationToken = default)
    {
        if (!_starting.ContainsKey(feature))
        {
            return null;
        }

        var known = _states[feature];
        var read = await ReadAsync(feature, StateKey(feature), HistoryKey(feature), cancellationToken).ConfigureAwait(false);

        // Written before the keys had a hash tag: taken over once, so an upgrade keeps the percentage, history and schedule.
        read ??= await ReadAsync(feature, _redis.Key("rollout:" + feature), _redis.Key("rollout:" + feature + ":history"), cancellationToken).ConfigureAwait(false) is { } legacy && legacy.Version >= known.Version
            ? await SeedAsync(legacy, cancellationToken).ConfigureAwait(false)
            : null;
        if (read is null || read.Version < known.Version)
        {
            // Empty (first use, or a Redis that restarted empty) or behind this instance: never from configuration while
            // this instance knows a version, so a kill switch survives a Redis restart.
            var seed = known.IsUnknown ? new RolloutState(feature, _starting[feature], 1, _time.GetUtcNow(), "config", null, []) : known;
            read = await SeedAsync(seed, cancellationToken).ConfigureAwait(false) ?? seed;
        }

        var taken = _states.AddOrUpdate(feature, read, (_, old) => read.Version >= old.Version ? read : old);
        if (taken == read && known.Version != read.Version)
        {
            RolloutLog.StateRefreshed(_logger, feature, read.Percentage, read.Version, read.UpdatedBy);
        }

        _unavailable.TryRemove(feature, out _);
        return taken;
    }

    /// <summary>Writes <paramref name="seed"/> unless Redis holds its version or a higher one; returns what Redis holds then.</summary>
    private async Task<RolloutState?> SeedAsync(RolloutState seed, CancellationToken cancellationToken)
    {
        var feature = seed.Feature;
        await _redis.Database.ScriptEvaluateAsync(SeedScript, [StateKey(feature), HistoryKey(feature)], SeedArguments(seed)).WaitAsync(cancellationToken).ConfigureAwait(false);
        return await ReadAsync(feature, StateKey(feature), HistoryKey(feature), cancellationToken).ConfigureAwait(false);
    }

    private async Task<RolloutState?> ReadAsync(string feature, RedisKey stateKey, RedisKey historyKey, CancellationToken cancellationToken)
    {
        var database = _redis.Database;
        var state = await database.HashGetAsync(stateKey, StateFields).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (state[1].IsNull)
        {
            return null;
        }

        var history = await database.ListRangeAsync(historyKey, 0, _historyLength - 1).WaitAsync(cancellationToken).ConfigureAwait(false);
        return new RolloutState(
            feature,
            (int)state[0],
            (long)state[1],
            DateTimeOffset.FromUnixTimeMilliseconds((long)state[2]),
            state[3].ToString(),
            NullIfEmpty(state[4].ToString()),
            [.. history.Select(h => ReadChange(h.ToString()))])
        {
            Schedule = RolloutScheduleJson.Read(state[5].IsNull ? null : state[5].ToString()),
        };
    }

    private RedisValue[] SeedArguments(RolloutState seed) =>
    [
        seed.Percentage, seed.Version, seed.UpdatedAt.ToUnixTimeMilliseconds(), seed.UpdatedBy, seed.Reason ?? "",
        RolloutScheduleJson.Write(seed.Schedule), Channel.ToString(), seed.Feature,
        .. seed.History.Select(h => (RedisValue)JsonSerializer.Serialize(new HistoryEntry(h.Percentage, h.At.ToUnixTimeMilliseconds(), h.By, h.Reason ?? ""))),
    ];

    private async Task TryRefreshAsync(string feature, CancellationToken cancellationToken)
    {
        try
        {
            await RefreshAsync(feature, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Logged once per outage, not on every re-read.
            if (_unavailable.TryAdd(feature, true) && _states.TryGetValue(feature, out var known))
            {
                RolloutLog.StateUnavailable(_logger, feature, known.Percentage, known.Version, ex);
            }
        }
    }

    private async Task<bool> TrySubscribeAsync()
    {
        try
        {
            // The multiplexer subscribes again by itself after a reconnect.
            await _redis.Multiplexer.GetSubscriber().SubscribeAsync(Channel, (channel, message) =>
            {
                var feature = message.ToString();
                if (_starting.ContainsKey(feature))
                {
                    _ = TryRefreshAsync(feature, CancellationToken.None);
                }
            }).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return false;
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static RolloutChange ReadChange(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var reason = root.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? NullIfEmpty(r.GetString()) : null;
        return new RolloutChange(
            root.GetProperty("percentage").GetInt32(),
            DateTimeOffset.FromUnixTimeMilliseconds((long)root.GetProperty("at").GetDouble()),
            root.GetProperty("by").GetString() ?? "",
            reason);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    // One hash tag per feature ({feature}): the scripts touch both keys, which must be in one slot of a Redis Cluster.
    private RedisKey StateKey(string feature) => _redis.Key("rollout:{" + feature + "}");
    private RedisKey HistoryKey(string feature) => _redis.Key("rollout:{" + feature + "}:history");

    /// <summary>A history entry as the Lua script writes it.</summary>
    private sealed record HistoryEntry(
        [property: System.Text.Json.Serialization.JsonPropertyName("percentage")] int Percentage,
        [property: System.Text.Json.Serialization.JsonPropertyName("at")] long At,
        [property: System.Text.Json.Serialization.JsonPropertyName("by")] string By,
        [property: System.Text.Json.Serialization.JsonPropertyName("reason")] string Reason);
}
