using System.Collections.Concurrent;
using StackExchange.Redis;
using StreamingChat.Core;

namespace StreamingChat.Rollout;

/// <summary>Where the service-wide window's intervals are added up.</summary>
internal interface IWindowBuckets
{
    /// <summary>Whether the counts are shared by every instance.</summary>
    bool Shared { get; }

    /// <summary>Adds <paramref name="delta"/> to interval <paramref name="bucket"/>; it expires after <paramref name="lifetime"/>.</summary>
    Task AddAsync(long bucket, WindowCounts delta, TimeSpan lifetime);

    /// <summary>The counts of intervals <paramref name="from"/> to <paramref name="to"/>, added up.</summary>
    Task<WindowCounts> SumAsync(long from, long to);
}

/// <summary>The intervals in this process: the window of a service of one instance.</summary>
internal sealed class InMemoryWindowBuckets(TimeProvider time) : IWindowBuckets
{
    private readonly ConcurrentDictionary<long, (WindowCounts Counts, DateTimeOffset Expires)> _buckets = new();

    public bool Shared => false;

    public Task AddAsync(long bucket, WindowCounts delta, TimeSpan lifetime)
    {
        var now = time.GetUtcNow();
        _buckets.AddOrUpdate(bucket, static (_, state) => (state.delta, state.expires), static (_, old, state) => (old.Counts + state.delta, state.expires), (delta, expires: now + lifetime));
        foreach (var (key, value) in _buckets)
        {
            if (value.Expires < now)
            {
                _buckets.TryRemove(key, out _);
            }
        }

        return Task.CompletedTask;
    }

    public Task<WindowCounts> SumAsync(long from, long to)
    {
        var sum = default(WindowCounts);
        foreach (var (key, value) in _buckets)
        {
            if (key >= from && key <= to)
            {
                sum += value.Counts;
            }
        }

        return Task.FromResult(sum);
    }
}

/// <summary>
/// The intervals in Redis, one hash per interval (<c>{prefix}rollout:window:{n}</c>) that every instance adds its counts
/// to with <c>HINCRBY</c> and that expires with the window, so the criteria are judged on the whole service.
/// </summary>
internal sealed class RedisWindowBuckets(StreamingChatRedis redis) : IWindowBuckets
{
    public bool Shared => true;

    public async Task AddAsync(long bucket, WindowCounts delta, TimeSpan lifetime)
    {
        var key = Key(bucket);
        var batch = redis.Database.CreateBatch();
        var values = delta.ToArray();
        var writes = new List<Task>(values.Length + 1);
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] != 0)
            {
                writes.Add(batch.HashIncrementAsync(key, WindowCounts.FieldNames[i], values[i]));
            }
        }

        writes.Add(batch.KeyExpireAsync(key, lifetime));
        batch.Execute();
        await Task.WhenAll(writes).ConfigureAwait(false);
    }

    public async Task<WindowCounts> SumAsync(long from, long to)
    {
        var batch = redis.Database.CreateBatch();
        var reads = new List<Task<RedisValue[]>>();
        RedisValue[] fields = [.. WindowCounts.FieldNames.Select(f => (RedisValue)f)];
        for (var bucket = from; bucket <= to; bucket++)
        {
            reads.Add(batch.HashGetAsync(Key(bucket), fields));
        }

        batch.Execute();
        var sum = new long[WindowCounts.FieldNames.Length];
        foreach (var values in await Task.WhenAll(reads).ConfigureAwait(false))
        {
            for (var i = 0; i < sum.Length; i++)
            {
                if (values[i].TryParse(out long value))
                {
                    sum[i] += value;
                }
            }
        }

        return WindowCounts.FromArray(sum);
    }

    private RedisKey Key(long bucket) => redis.Key("rollout:window:" + bucket.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
