using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>
/// At most N permits held at once per key (a caller, a resume token), by every instance together: for work whose length
/// nobody knows when it starts (an answer running, a reader reading), so a permit lasts exactly as long as its work. In
/// Redis each key is a sorted set of permits scored by when they lapse; the instance holding a permit renews it every third
/// of its lifetime (<see cref="AnswerOptions.LeaseSeconds"/>, the answers' own lease) and removes it when the work ends, so
/// the permits of an instance that died lapse within that lifetime. While Redis cannot be reached, the limit is kept in this
/// process (System.Threading.RateLimiting's concurrency limiter), neither refusing everyone nor letting everyone through.
/// </summary>
/// <remarks>
/// Written here rather than taken from the RedisRateLimiting library, whose concurrency limiter forgets a permit a fixed
/// time after it was taken and cannot renew it: an answer longer than that time stopped counting, and a caller at the
/// limit could start as many again every minute while the first ones still ran.
/// </remarks>
internal sealed class HeldPermits : IDisposable
{
    // KEYS: the key's permits. ARGV: the limit, the lifetime (ms), the permit. Takes the permit unless the key holds its limit
    // of live ones (1, else 0), by Redis's own clock, so the instances' clocks need not agree.
    private const string AcquireScript = """
        redis.replicate_commands()
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
        redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        return 1
        """;

    // KEYS: the key's permits. ARGV: the lifetime (ms), then the permits to renew. A permit that lapsed (this instance was
    // stalled for longer than a lifetime) is put back: its work still runs, so it counts again.
    private const string RenewScript = """
        redis.replicate_commands()
        local t = redis.call('TIME')
        local expires = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
        for i = 2, #ARGV do redis.call('ZADD', KEYS[1], expires, ARGV[i]) end
        redis.call('PEXPIRE', KEYS[1], ARGV[1])
        return 0
        """;

    private readonly int _limit;
    private readonly StreamingChatRedis? _redis;
    private readonly Func<TimeSpan> _lifetime;
    private readonly ILogger _logger;
    private readonly string _prefix;
    private readonly PartitionedRateLimiter<string> _local;
    private readonly ConcurrentDictionary<SharedPermit, byte> _held = new();
    private readonly ITimer? _renewal;
    private int _renewing;

    /// <summary>At most <paramref name="limit"/> permits per key; <paramref name="lifetime"/> is how long one lives unrenewed.</summary>
    public HeldPermits(string name, int limit, StreamingChatRedis? redis, Func<TimeSpan> lifetime, TimeProvider time, ILogger logger)
    {
        _limit = limit;
        _redis = redis;
        _lifetime = lifetime;
        _logger = logger;
        _prefix = (redis?.Options.KeyPrefix ?? "") + "permits:" + name + ":{";
        _local = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetConcurrencyLimiter(key, _ => new ConcurrencyLimiterOptions
        {
            PermitLimit = limit,
            QueueLimit = 0,
        }), StringComparer.Ordinal);
        if (redis is not null)
        {
            var period = lifetime() / 3;
            _renewal = time.CreateTimer(static s => _ = ((HeldPermits)s!).RenewAsync(), this, period, period);
        }
    }

    /// <summary>At most <paramref name="limit"/> per key, or null when the limit is 0 (off).</summary>
    public static HeldPermits? Create(string name, int limit, StreamingChatRedis? redis, Func<TimeSpan> lifetime, TimeProvider time, ILogger logger)
        => limit <= 0 ? null : new HeldPermits(name, limit, redis, lifetime, time, logger);

    /// <summary>The Redis key that holds <paramref name="key"/>'s permits (tests and erasure read it).</summary>
    internal RedisKey RedisKeyOf(string key) => _prefix + key + "}";

    /// <summary>A permit for <paramref name="key"/>, held until the lease is disposed; one that is not acquired when the key holds its limit.</summary>
    public async ValueTask<RateLimitLease> AcquireAsync(string key, CancellationToken cancellationToken = default)
    {
        if (_redis is { IsConnected: true } redis)
        {
            try
            {
                var permit = new SharedPermit(this, RedisKeyOf(key), Guid.NewGuid().ToString("N"));
                var lifetimeMs = (long)_lifetime().TotalMilliseconds;
                var taken = (long)await redis.Database.ScriptEvaluateAsync(AcquireScript, [permit.Key], [_limit, lifetimeMs, permit.Member]).ConfigureAwait(false);
                if (taken == 1)
                {
                    _held[permit] = 0;
                    return permit;
                }

                return Refused.Instance;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                LimitsLog.SharedLimitUnavailable(_logger, ex.GetType().Name);
            }
        }

        return _local.AttemptAcquire(key);
    }

    /// <summary>Renews every permit this instance holds in Redis, one script per key, in one batch.</summary>
    private async Task RenewAsync()
    {
        if (_held.IsEmpty || _redis is not { IsConnected: true } redis || Interlocked.Exchange(ref _renewing, 1) == 1)
        {
            return;
        }

        try
        {
            var lifetimeMs = (long)_lifetime().TotalMilliseconds;
            var batch = redis.Database.CreateBatch();
            var renewals = new List<Task>();
            var renewed = _held.Keys.ToList();
            foreach (var byKey in renewed.GroupBy(p => p.Key))
            {
                renewals.Add(batch.ScriptEvaluateAsync(RenewScript, [byKey.Key], [lifetimeMs, .. byKey.Select(p => (RedisValue)p.Member)]));
            }

            batch.Execute();
            await Task.WhenAll(renewals).ConfigureAwait(false);

            // A permit released while its renewal was on its way may have been put back by it: removed again.
            foreach (var permit in renewed.Where(p => !_held.ContainsKey(p)))
            {
                redis.Database.SortedSetRemove(permit.Key, permit.Member, CommandFlags.FireAndForget);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LimitsLog.SharedLimitUnavailable(_logger, ex.GetType().Name);
        }
        finally
        {
            Volatile.Write(ref _renewing, 0);
        }
    }

    private void Release(SharedPermit permit)
    {
        if (!_held.TryRemove(permit, out _) || _redis is not { } redis)
        {
            return;
        }

        try
        {
            // Fire and forget: a release that does not reach Redis is a permit that lapses by itself.
            redis.Database.SortedSetRemove(permit.Key, permit.Member, CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LimitsLog.SharedLimitUnavailable(_logger, ex.GetType().Name);
        }
    }

    public void Dispose()
    {
        _renewal?.Dispose();
        _local.Dispose();
    }

    /// <summary>A permit held in Redis until disposed.</summary>
    private sealed class SharedPermit(HeldPermits owner, RedisKey key, string member) : RateLimitLease
    {
        private int _released;

        public RedisKey Key { get; } = key;

        public string Member { get; } = member;

        public override bool IsAcquired => true;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Release(this);
            }
        }
    }

    /// <summary>No permit: the key holds its limit.</summary>
    private sealed class Refused : RateLimitLease
    {
        public static readonly Refused Instance = new();

        public override bool IsAcquired => false;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
