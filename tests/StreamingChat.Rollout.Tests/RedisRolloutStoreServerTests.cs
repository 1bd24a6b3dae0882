using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamingChat.Testing;

namespace StreamingChat.Rollout.Tests;

/// <summary>The Redis rollout store against a real Redis: what one instance sets, every instance answers.</summary>
public sealed class RedisRolloutStoreServerTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private RedisTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RedisTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static RedisRolloutStore Store(StreamingChat.Core.StreamingChatRedis redis, Action<RolloutOptions>? configure = null)
        => new(redis, Options.Create(RolloutTestParts.Options(configure)), TimeProvider.System, NullLogger<RedisRolloutStore>.Instance);

    [Fact]
    public async Task Set_OnOneInstance_IsSeenByAnotherWithinASecond_WithTheSameHistory()
    {
        var prefix = RolloutTestParts.NewPrefix();
        using var redisA = RolloutTestParts.Redis(_server, prefix);
        using var redisB = RolloutTestParts.Redis(_server, prefix);
        var a = Store(redisA);
        var b = Store(redisB);
        using var stop = new CancellationTokenSource();
        // A long re-read period: only the change channel can make B see the change within a second.
        var syncA = a.RunAsync(TimeSpan.FromMinutes(10), stop.Token);
        var syncB = b.RunAsync(TimeSpan.FromMinutes(10), stop.Token);
        await WaitUntilAsync(() => b.Get("streaming")!.Version == 1);

        await a.SetAsync("streaming", 25, "admin", "phase 4");
        var changed = DateTime.UtcNow;
        await WaitUntilAsync(() => b.Get("streaming")!.Percentage == 25);
        var seenAfter = DateTime.UtcNow - changed;
        await a.SetAsync("streaming", 50, "admin", null);
        await WaitUntilAsync(() => b.Get("streaming")!.Version == 3);

        Assert.True(seenAfter < TimeSpan.FromSeconds(1), $"seen after {seenAfter.TotalMilliseconds} ms");
        var stateA = a.Get("streaming")!;
        var stateB = b.Get("streaming")!;
        Assert.Equal((50, 3L, "admin"), (stateB.Percentage, stateB.Version, stateB.UpdatedBy));
        Assert.Equal(stateA.History, stateB.History);
        Assert.Equal([(25, "admin", "phase 4"), (100, "config", null)], stateB.History.Select(h => (h.Percentage, h.By, h.Reason)));
        await stop.CancelAsync();
        await Task.WhenAll(syncA, syncB);
    }

    [Fact]
    public async Task StateWrittenBeforeTheKeysHadAHashTag_IsTakenOver_WithItsHistory()
    {
        var prefix = RolloutTestParts.NewPrefix();
        using var redis = RolloutTestParts.Redis(_server, prefix);
        var database = redis.Database;
        await database.HashSetAsync(prefix + "rollout:streaming", [new("percentage", 10), new("version", 7), new("updatedAt", 1_700_000_000_000), new("updatedBy", "admin"), new("reason", "phase 2"), new("schedule", "")]);
        await database.ListRightPushAsync(prefix + "rollout:streaming:history", """{"percentage":5,"at":1699999999000,"by":"admin","reason":"phase 1"}""");

        var state = await Store(redis).RefreshAsync("streaming");

        Assert.Equal((10, 7L, "admin", "phase 2"), (state!.Percentage, state.Version, state.UpdatedBy, state.Reason));
        Assert.Equal([(5, "phase 1")], state.History.Select(h => (h.Percentage, h.Reason)));
        Assert.Equal("10", (string?)await database.HashGetAsync(prefix + "rollout:{streaming}", "percentage"));
        Assert.Equal(1, await database.ListLengthAsync(prefix + "rollout:{streaming}:history"));
    }

    [Fact]
    public async Task History_IsCappedAtHistoryLength()
    {
        using var redis = RolloutTestParts.Redis(_server, RolloutTestParts.NewPrefix());
        var store = Store(redis, o => o.HistoryLength = 3);

        for (var p = 1; p <= 6; p++)
        {
            await store.SetAsync("streaming", p, "admin", null);
        }

        var state = store.Get("streaming")!;
        Assert.Equal(7, state.Version);
        Assert.Equal([5, 4, 3], state.History.Select(h => h.Percentage));
    }

    [Fact]
    public async Task StartingPercentage_ComesFromConfiguration_AndAnExistingStateWins()
    {
        var prefix = RolloutTestParts.NewPrefix();
        using var redis = RolloutTestParts.Redis(_server, prefix);
        var first = Store(redis, o => o.Features["streaming"] = new RolloutFeatureOptions { Percentage = 10 });
        // Before it has read Redis, an instance serves the unknown-state percentage (0), not its configured start.
        Assert.Equal((0, 0L), (first.Get("streaming")!.Percentage, first.Get("streaming")!.Version));
        await first.RefreshAsync("streaming");
        await first.SetAsync("streaming", 5, "admin", null);

        // Another instance configured with another starting point takes what Redis holds.
        var second = Store(redis, o => o.Features["streaming"] = new RolloutFeatureOptions { Percentage = 90 });
        var read = await second.RefreshAsync("streaming");

        Assert.Equal((5, 2L), (read!.Percentage, read.Version));
        Assert.Null(await second.SetAsync("unknown", 5, "admin", null));
    }

    [Fact]
    public async Task RedisAway_TheLastKnownStateStands_AndASetChangesNothing()
    {
        using var redis = RolloutTestParts.Redis(_server, RolloutTestParts.NewPrefix());
        var store = Store(redis);
        await store.SetAsync("streaming", 40, "admin", null);
        using var stop = new CancellationTokenSource();
        var sync = store.RunAsync(TimeSpan.FromMilliseconds(100), stop.Token);

        await _server.StopAsync();
        await Task.Delay(400); // several re-reads fail meanwhile

        Assert.Equal(40, store.Get("streaming")!.Percentage);
        await Assert.ThrowsAnyAsync<RedisException>(() => store.SetAsync("streaming", 0, "admin", null));
        Assert.Equal(40, store.Get("streaming")!.Percentage);

        // Redis comes back empty (no persistence): the re-read writes the last known state back, not the configured 100.
        await _server.StartAgainAsync();
        using var other = RolloutTestParts.Redis(_server, redis.Options.KeyPrefix);
        var fresh = Store(other);
        await WaitUntilAsync(() => redis.IsConnected);
        await Task.Delay(300);
        Assert.Equal((40, 2L), ((await fresh.RefreshAsync("streaming"))!.Percentage, fresh.Get("streaming")!.Version));
        Assert.Equal([100], fresh.Get("streaming")!.History.Select(h => h.Percentage));
        await stop.CancelAsync();
        await sync;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var patience = new CancellationTokenSource(Patience);
        while (!condition())
        {
            await Task.Delay(10, patience.Token);
        }
    }
}
