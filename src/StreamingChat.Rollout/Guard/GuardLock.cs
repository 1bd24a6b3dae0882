using StackExchange.Redis;
using StreamingChat.Core;

namespace StreamingChat.Rollout;

/// <summary>Decides which instance's guard acts: one at a time.</summary>
internal interface IGuardLock
{
    /// <summary>Takes the lock, or extends it when this instance holds it; false when another instance holds it.</summary>
    Task<bool> TryAcquireAsync(TimeSpan duration);

    /// <summary>Gives the lock up, if held.</summary>
    Task ReleaseAsync();
}

/// <summary>One instance: it always acts.</summary>
internal sealed class InMemoryGuardLock : IGuardLock
{
    public Task<bool> TryAcquireAsync(TimeSpan duration) => Task.FromResult(true);

    public Task ReleaseAsync() => Task.CompletedTask;
}

/// <summary>
/// A lock with expiry in Redis (StackExchange.Redis's <c>LockTake</c>/<c>LockExtend</c>: <c>SET NX PX</c> with this
/// instance's id as the value), so a stopped or cut-off instance's guard hands over when its lock runs out.
/// </summary>
internal sealed class RedisGuardLock(StreamingChatRedis redis, StreamingChatInstance instance) : IGuardLock
{
    private readonly RedisKey _key = redis.Key("rollout:guard:lock");

    public async Task<bool> TryAcquireAsync(TimeSpan duration)
    {
        var database = redis.Database;
        return await database.LockExtendAsync(_key, instance.InstanceId, duration).ConfigureAwait(false)
            || await database.LockTakeAsync(_key, instance.InstanceId, duration).ConfigureAwait(false);
    }

    public async Task ReleaseAsync()
    {
        try
        {
            await redis.Database.LockReleaseAsync(_key, instance.InstanceId).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The lock expires by itself.
        }
    }
}
