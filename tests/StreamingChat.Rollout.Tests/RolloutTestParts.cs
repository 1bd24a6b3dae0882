using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.Rollout.Tests;

/// <summary>Builds the rollout's parts the way AddStreamingRollout() does, over a real Redis when one is given.</summary>
internal static class RolloutTestParts
{
    public static StreamingChatRedis Redis(RedisTestServer server, string prefix)
        => new(Microsoft.Extensions.Options.Options.Create(new RedisOptions { ConnectionString = server.ConnectionString, KeyPrefix = prefix }), NullLogger<StreamingChatRedis>.Instance);

    public static string NewPrefix() => $"t{Guid.NewGuid():N}:";

    public static RolloutOptions Options(Action<RolloutOptions>? configure = null)
    {
        var options = new RolloutOptions();
        configure?.Invoke(options);
        return options;
    }

    public static ServiceWindow Window(StreamingChatMetrics metrics, RolloutOptions options, StreamingChatRedis? redis = null, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        IWindowBuckets buckets = redis is null ? new InMemoryWindowBuckets(time) : new RedisWindowBuckets(redis);
        return new ServiceWindow(metrics, buckets, new StaticOptionsMonitor<RolloutOptions>(options), time, NullLogger<ServiceWindow>.Instance);
    }

    /// <summary>Records finished streams as the pipeline would.</summary>
    public static void Streams(StreamingChatMetrics metrics, int succeeded, int failed, double firstTokenMs = 200, bool streaming = true)
    {
        for (var i = 0; i < succeeded + failed; i++)
        {
            var fails = i < failed;
            metrics.StreamStarted("demo", "m", streaming);
            metrics.StreamFinished("demo", "m", streaming, fails ? StreamOutcome.Failed : StreamOutcome.Succeeded, fails ? ChatErrorCodes.UpstreamUnavailable : null,
                fails ? null : TimeSpan.FromMilliseconds(firstTokenMs), TimeSpan.FromMilliseconds(firstTokenMs * 2), fails ? 0 : 5);
        }
    }
}
