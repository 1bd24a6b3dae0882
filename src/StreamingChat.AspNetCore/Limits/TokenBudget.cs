using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>
/// An optional budget of answer tokens per caller per fixed window (<c>429 quota_exceeded</c> once spent). Written here
/// rather than taken from a rate-limiting library because those take permits before the work, while an answer's cost is
/// known only when it ends: the budget is checked before a question and charged after its answer. Kept in Redis (one
/// counter per caller and window, with expiry) when configured, else (and while Redis is away) in this process.
/// </summary>
internal sealed class TokenBudget(long budget, TimeSpan window, StreamingChatRedis? redis, TimeProvider time, ILogger logger)
{
    private readonly ConcurrentDictionary<string, (long Window, long Used)> _local = new(StringComparer.Ordinal);

    /// <summary>Whether a budget is set.</summary>
    public bool Enabled => budget > 0;

    /// <summary>Null while the caller has budget left; else the seconds until the window ends.</summary>
    public async ValueTask<int?> ExhaustedForAsync(string callerKey)
    {
        if (!Enabled)
        {
            return null;
        }

        var (index, secondsLeft) = Window();
        var used = await ReadAsync(callerKey, index).ConfigureAwait(false);
        return used >= budget ? Math.Max(1, secondsLeft) : null;
    }

    /// <summary>Adds an answer's tokens to the caller's window.</summary>
    public async ValueTask ChargeAsync(string callerKey, long tokens)
    {
        if (!Enabled || tokens <= 0)
        {
            return;
        }

        var (index, _) = Window();
        if (redis is { IsConnected: true })
        {
            try
            {
                var key = Key(callerKey, index);
                var batch = redis.Database.CreateBatch();
                var added = batch.StringIncrementAsync(key, tokens);
                var expiry = batch.KeyExpireAsync(key, window + TimeSpan.FromMinutes(1));
                batch.Execute();
                await Task.WhenAll(added, expiry).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                LimitsLog.SharedLimitUnavailable(logger, ex.GetType().Name);
            }
        }

        _local.AddOrUpdate(callerKey, (index, tokens), (_, old) => old.Window == index ? (index, old.Used + tokens) : (index, tokens));
        if (_local.Count > 100_000)
        {
            foreach (var (caller, entry) in _local)
            {
                if (entry.Window < index)
                {
                    _local.TryRemove(caller, out _);
                }
            }
        }
    }

    private async ValueTask<long> ReadAsync(string callerKey, long index)
    {
        if (redis is { IsConnected: true })
        {
            try
            {
                return (long?)await redis.Database.StringGetAsync(Key(callerKey, index)).ConfigureAwait(false) ?? 0;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                LimitsLog.SharedLimitUnavailable(logger, ex.GetType().Name);
            }
        }

        return _local.TryGetValue(callerKey, out var entry) && entry.Window == index ? entry.Used : 0;
    }

    private RedisKey Key(string callerKey, long index) => redis!.Key($"budget:{{{callerKey}}}:{index}");

    private (long Index, int SecondsLeft) Window()
    {
        var seconds = (long)window.TotalSeconds;
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        return (now / seconds, (int)(seconds - (now % seconds)));
    }
}
