using Microsoft.Extensions.Diagnostics.HealthChecks;
using MongoDB.Driver;

namespace StreamingChat.Mongo;

/// <summary>MongoDB answers a <c>ping</c> within the server selection timeout.</summary>
public sealed class MongoHealthCheck(StreamingChatMongo mongo) : IHealthCheck
{
    /// <inheritdoc/>
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await mongo.PingAsync(cancellationToken).ConfigureAwait(false);
            var ms = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            return HealthCheckResult.Healthy("MongoDB answers.", new Dictionary<string, object> { ["pingMs"] = Math.Round(ms, 2) });
        }
        catch (Exception ex) when (ex is MongoException or TimeoutException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "MongoDB did not answer a ping.", ex);
        }
    }
}
