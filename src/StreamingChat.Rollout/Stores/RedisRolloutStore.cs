using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamingChat.Core;

namespace StreamingChat.Rollout;

/// <summary>
/// Rollout state shared by every instance through Redis. Each feature is a hash (<c>{prefix}rollout:{feature}</c>:
/// percentage, version, updatedAt, updatedBy, reason) with its audit history in a capped list beside it; a change is
/// made by one Lua script (history, new state, version + 1, and a message on <c>{prefix}rollout:changes</c>), so two
/// admins at once cannot lose a change. Every instance answers from its own copy, which the channel refreshes at once
/// and a periodic re-read repairs (a missed message, a Redis restart). If Redis is away, the last known state stands.
/// </summary>
public sealed class RedisRolloutStore : IRolloutStore
{
    // KEYS: state hash, history list. ARGV: percentage, now (unix ms), by, reason, history length, channel, feature, starting percentage.
    private const string SetScript = """
        if redis.call('EXISTS', KEYS[1]) == 0 then
          redis.call('HSET', KEYS[1], 'percentage', ARGV[8], 'version', '1', 'updatedAt', ARGV[2], 'updatedBy', 'config', 'reason', '')
        end
        local cur = redis.call('HMGET', KEYS[1], 'percentage', 'version', 'updatedAt', 'updatedBy', 'reason')
        redis.call('LPUSH', KEYS[2], cjson.encode({ percentage = tonumber(cur[1]), at = tonumber(cur[3]), by = cur[4], reason = cur[5] }))
        redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[5]) - 1)
        local version = tonumber(cur[2]) + 1
        redis.call('HSET', KEYS[1], 'percentage', ARGV[1], 'version', tostring(version), 'updatedAt', ARGV[2], 'updatedBy', ARGV[3], 'reason', ARGV[4])
        redis.call('PUBLISH', ARGV[6], ARGV[7])
        return version
        """;

    // KEYS: state hash, history list. ARGV: percentage, version, updatedAt (unix ms), updatedBy, reason, then history entries.
    private const string InitScript = """
        if redis.call('EXISTS', KEYS[1]) == 0 then
          redis.call('HSET', KEYS[1], 'percentage', ARGV[1], 'version', ARGV[2], 'updatedAt', ARGV[3], 'updatedBy', ARGV[4], 'reason', ARGV[5])
          if redis.call('EXISTS', KEYS[2]) == 0 then
            for i = 6, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
          end
        end
        return 1
        """;

    private static readonly RedisValue[] StateFields = ["percentage", "version", "updatedAt", "updatedBy", "reason"];

    private readonly StreamingChatRedis _redis;
    private readonly IReadOnlyDictionary<string, int> _starting;
    private readonly int _historyLength;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisRolloutStore> _logger;
    private readonly ConcurrentDictionary<string, RolloutState> _states = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _unavailable = new(StringComparer.Ordinal);

    /// <summary>Creates the store; until Redis is read, every feature stands at its configured starting percentage.</summary>
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
        foreach (var (feature, percentage) in _starting)
        {
            // Version 0: known from configuration only; any state read from Redis replaces it.
            _states[feature] = new RolloutState(feature, percentage, 0, now, "config", null, []);
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
    /// Sets a feature's percentage for every instance; null for an unknown feature. Throws
    /// <see cref="RedisException"/> (nothing changed anywhere) when Redis cannot be reached.
    /// </summary>
    public async Task<RolloutState?> SetAsync(string feature, int percentage, string by, string? reason, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(percentage);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percentage, 100);
        if (!_starting.TryGetValue(feature, out var starting))
        {
            return null;
        }

        RedisValue[] args =
        [
            percentage, _time.GetUtcNow().ToUnixTimeMilliseconds(), by, reason ?? "", _historyLength,
            Channel.ToString(), feature, starting,
        ];
        await _redis.Database.ScriptEvaluateAsync(SetScript, [StateKey(feature), HistoryKey(feature)], args).WaitAsync(cancellationToken).ConfigureAwait(false);
        return await RefreshAsync(feature, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Keeps this instance's copy current until <paramref name="stoppingToken"/>: the change channel, and a re-read every <paramref name="period"/>.</summary>
    public async Task RunAsync(TimeSpan period, CancellationToken stoppingToken)
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

    /// <summary>Reads a feature from Redis (creating it at its starting percentage when absent) and replaces this instance's copy.</summary>
    internal async Task<RolloutState> RefreshAsync(string feature, CancellationToken cancellationToken = default)
    {
        var database = _redis.Database;
        var state = await database.HashGetAsync(StateKey(feature), StateFields).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (state[1].IsNull)
        {
            // A feature Redis does not hold: first use, or a Redis that restarted empty. The state this instance last
            // knew is written back (so a kill switch survives a Redis restart), else the configured starting point.
            await database.ScriptEvaluateAsync(InitScript, [StateKey(feature), HistoryKey(feature)], InitArguments(feature)).WaitAsync(cancellationToken).ConfigureAwait(false);
            state = await database.HashGetAsync(StateKey(feature), StateFields).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        var history = await database.ListRangeAsync(HistoryKey(feature), 0, _historyLength - 1).WaitAsync(cancellationToken).ConfigureAwait(false);
        var read = new RolloutState(
            feature,
            (int)state[0],
            (long)state[1],
            DateTimeOffset.FromUnixTimeMilliseconds((long)state[2]),
            state[3].ToString(),
            NullIfEmpty(state[4].ToString()),
            [.. history.Select(h => ReadChange(h.ToString()))]);
        var previous = _states.GetValueOrDefault(feature);
        _states[feature] = read;
        if (previous is null || previous.Version != read.Version)
        {
            RolloutLog.StateRefreshed(_logger, feature, read.Percentage, read.Version, read.UpdatedBy);
        }

        _unavailable.TryRemove(feature, out _);
        return read;
    }

    private RedisValue[] InitArguments(string feature)
    {
        var known = _states.GetValueOrDefault(feature);
        if (known is not { Version: > 0 })
        {
            return [_starting[feature], 1, _time.GetUtcNow().ToUnixTimeMilliseconds(), "config", ""];
        }

        return
        [
            known.Percentage, known.Version, known.UpdatedAt.ToUnixTimeMilliseconds(), known.UpdatedBy, known.Reason ?? "",
            .. known.History.Select(h => (RedisValue)JsonSerializer.Serialize(new HistoryEntry(h.Percentage, h.At.ToUnixTimeMilliseconds(), h.By, h.Reason ?? ""))),
        ];
    }

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

    private RedisKey StateKey(string feature) => _redis.Key("rollout:" + feature);

    private RedisKey HistoryKey(string feature) => _redis.Key("rollout:" + feature + ":history");

    /// <summary>A history entry as the Lua script writes it.</summary>
    private sealed record HistoryEntry(
        [property: System.Text.Json.Serialization.JsonPropertyName("percentage")] int Percentage,
        [property: System.Text.Json.Serialization.JsonPropertyName("at")] long At,
        [property: System.Text.Json.Serialization.JsonPropertyName("by")] string By,
        [property: System.Text.Json.Serialization.JsonPropertyName("reason")] string Reason);
}
