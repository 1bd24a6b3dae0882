using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using RedisRateLimiting;
using StackExchange.Redis;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>
/// One limit per caller that every instance enforces together: kept in Redis by the RedisRateLimiting library's limiters
/// (System.Threading.RateLimiting's abstractions) when <c>AddRedis()</c> is used, and by the same limit in this process
/// while Redis cannot be reached, so losing Redis neither refuses every caller nor lets every caller through. Keys carry
/// the caller in a hash tag, so each script's keys share a Redis Cluster slot.
/// </summary>
internal sealed class SharedRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _shared;
    private readonly PartitionedRateLimiter<string> _local;
    private readonly StreamingChatRedis? _redis;
    private readonly string _prefix;
    private readonly ILogger _logger;

    private SharedRateLimiter(PartitionedRateLimiter<string>? shared, PartitionedRateLimiter<string> local, StreamingChatRedis? redis, string name, ILogger logger)
    {
        _shared = shared;
        _local = local;
        _redis = redis;
        _prefix = (redis?.Options.KeyPrefix ?? "") + "limits:" + name + ":{";
        _logger = logger;
    }

    /// <summary>At most <paramref name="permitsPerMinute"/> per caller over a sliding minute; null when 0 (off).</summary>
    public static SharedRateLimiter? PerMinute(string name, int permitsPerMinute, StreamingChatRedis? redis, ILogger logger) => permitsPerMinute <= 0 ? null : new(
        redis is null ? null : PartitionedRateLimiter.Create<string, string>(key => RedisRateLimitPartition.GetSlidingWindowRateLimiter(key, _ => new RedisSlidingWindowRateLimiterOptions
        {
            ConnectionMultiplexerFactory = () => redis.Multiplexer,
            PermitLimit = permitsPerMinute,
            Window = TimeSpan.FromMinutes(1),
        }), StringComparer.Ordinal),
        PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetSlidingWindowLimiter(key, _ => new SlidingWindowRateLimiterOptions
        {
            PermitLimit = permitsPerMinute,
            Window = TimeSpan.FromMinutes(1),
            SegmentsPerWindow = 6,
            QueueLimit = 0,
            AutoReplenishment = true,
        }), StringComparer.Ordinal),
        redis, name, logger);

    /// <summary>Takes a permit for <paramref name="callerKey"/>: from Redis when it answers, else from this process's limiter.</summary>
    public async ValueTask<RateLimitLease> AcquireAsync(string callerKey, CancellationToken cancellationToken)
    {
        if (_shared is not null && _redis!.IsConnected)
        {
            try
            {
                return new SafeLease(await _shared.AcquireAsync(_prefix + callerKey + "}", 1, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                LimitsLog.SharedLimitUnavailable(_logger, ex.GetType().Name);
            }
        }

        return _local.AttemptAcquire(callerKey);
    }

    /// <summary>
    /// Forgets <paramref name="callerKey"/>'s window in Redis (its two keys, named by the library: <c>rl:sw:{partition}</c>
    /// and its <c>:stats</c>), so no key names a session that was erased.
    /// </summary>
    public async Task ForgetAsync(string callerKey)
    {
        if (_shared is null || _redis is not { IsConnected: true } redis)
        {
            return;
        }

        var partition = _prefix + callerKey + "}";
        await redis.Database.KeyDeleteAsync(["rl:sw:{" + partition + "}", "rl:sw:{" + partition + "}:stats"]).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _shared?.Dispose();
        _local.Dispose();
    }

    /// <summary>A Redis lease whose release (a Redis command) never throws: if Redis is gone by then, the permit expires there by itself.</summary>
    private sealed class SafeLease(RateLimitLease inner) : RateLimitLease
    {
        public override bool IsAcquired => inner.IsAcquired;

        public override IEnumerable<string> MetadataNames => inner.MetadataNames;

        public override bool TryGetMetadata(string metadataName, out object? metadata) => inner.TryGetMetadata(metadataName, out metadata);

        protected override void Dispose(bool disposing)
        {
            if (!disposing)
            {
                return;
            }

            try
            {
                inner.Dispose();
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Released by the permit's expiry instead.
            }
        }
    }
}

/// <summary>The web package's log messages about limits: event ids 2210–2249.</summary>
internal static partial class LimitsLog
{
    [LoggerMessage(2211, LogLevel.Warning, "Rate limit kept in this process for now: the shared limit in Redis could not be read ({Failure}).")]
    public static partial void SharedLimitUnavailable(ILogger logger, string failure);
}
