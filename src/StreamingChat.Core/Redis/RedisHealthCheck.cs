using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace StreamingChat.Core;

/// <summary>
/// Redis answers a PING. Redis away is <c>degraded</c>, not <c>unhealthy</c>: the service keeps answering from memory.
/// Written here rather than taken from a health-check package because it must use the process's shared connection and
/// must not wait for a reconnect: one PING bounded by the connection's own timeout is the whole check.
/// </summary>
public sealed class RedisHealthCheck(StreamingChatRedis redis) : IHealthCheck
{
    /// <inheritdoc/>
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!redis.IsConnected)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "Redis is not reachable; serving from memory and reconnecting.");
        }

        try
        {
            var latency = await redis.Database.PingAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy("Redis answers.", new Dictionary<string, object> { ["pingMs"] = Math.Round(latency.TotalMilliseconds, 2) });
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "Redis did not answer a PING; serving from memory and reconnecting.", ex);
        }
    }
}
