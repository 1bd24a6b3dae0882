using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.Rollout.Tests;

/// <summary>The shared rollout state's safety on a real Redis: a schedule acted on once, a kill switch that survives an emptied Redis, an unknown state served as off.</summary>
public sealed class RolloutSharedStateServerTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private RedisTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RedisTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>One instance's rollout parts on the shared Redis and the shared fake clock.</summary>
    private sealed class Instance : IDisposable
    {
        public Instance(RedisTestServer server, string prefix, FakeTimeProvider time, RolloutOptions options)
        {
            Redis = RolloutTestParts.Redis(server, prefix);
            Metrics = TestMeterFactory.CreateMetrics(time);
            Store = new RedisRolloutStore(Redis, Microsoft.Extensions.Options.Options.Create(options), time, NullLogger<RedisRolloutStore>.Instance);
            Scheduler = new RolloutScheduler(Store, Metrics, time, NullLogger<RolloutScheduler>.Instance);
            var guardLock = new RedisGuardLock(Redis, new StreamingChatInstance(Microsoft.Extensions.Options.Options.Create(new MetricsOptions { InstanceId = Guid.NewGuid().ToString("N") }), TimeProvider.System));
            Guard = new RolloutGuard(Store, Scheduler, RolloutTestParts.Window(Metrics, options, Redis, time), guardLock, Metrics, new StaticOptionsMonitor<RolloutOptions>(options), time, NullLogger<RolloutGuard>.Instance);
        }

        public StreamingChatRedis Redis { get; }

        public StreamingChatMetrics Metrics { get; }

        public RedisRolloutStore Store { get; }

        public RolloutScheduler Scheduler { get; }

        public RolloutGuard Guard { get; }

        public void Dispose() => Redis.Dispose();
    }

    private static RolloutOptions Options(Action<RolloutOptions>? configure = null) => RolloutTestParts.Options(o =>
    {
        o.Criteria.MinSampleSize = 10;
        o.Guard.WindowSeconds = 120;
        o.Guard.IntervalSeconds = 1;
        o.Guard.LockSeconds = 1;
        configure?.Invoke(o);
    });

    [Fact]
    public async Task TwoInstances_AdvanceEachStepOnce_AndWhenTheActingOneDies_TheOtherContinuesFromTheSameStep()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero));
        var prefix = RolloutTestParts.NewPrefix();
        using var a = new Instance(_server, prefix, time, Options());
        using var b = new Instance(_server, prefix, time, Options());
        await a.Store.RefreshAsync("streaming");
        await a.Scheduler.StartAsync("streaming", [1, 5, 10, 25], soakSeconds: 30, minSamples: 10, "admin", null);
        await b.Store.RefreshAsync("streaming");

        async Task EvaluateBothAsync(int seconds, int streams)
        {
            time.Advance(TimeSpan.FromSeconds(seconds));
            RolloutTestParts.Streams(a.Metrics, succeeded: streams / 2, failed: 0);
            RolloutTestParts.Streams(b.Metrics, succeeded: streams - (streams / 2), failed: 0);
            await a.Guard.EvaluateOnceAsync();
            await b.Guard.EvaluateOnceAsync();
            await a.Store.RefreshAsync("streaming");
            await b.Store.RefreshAsync("streaming");
        }

        await EvaluateBothAsync(2, 20);
        await EvaluateBothAsync(30, 6);
        await EvaluateBothAsync(2, 20);
        await EvaluateBothAsync(30, 6);
        Assert.Equal((10, 2), (b.Store.Get("streaming")!.Percentage, b.Store.Get("streaming")!.Schedule!.StepIndex));
        Assert.Equal([5, 1, 100], b.Store.Get("streaming")!.History.Select(h => h.Percentage)); // each step once

        // A dies (it evaluates no more; its lock runs out), B takes over at the step A left it.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        time.Advance(TimeSpan.FromSeconds(2));
        RolloutTestParts.Streams(b.Metrics, succeeded: 20, failed: 0);
        await b.Guard.EvaluateOnceAsync();
        time.Advance(TimeSpan.FromSeconds(30));
        RolloutTestParts.Streams(b.Metrics, succeeded: 6, failed: 0);
        await b.Guard.EvaluateOnceAsync();

        var state = await b.Store.RefreshAsync("streaming");
        Assert.Equal((25, 3, "schedule"), (state!.Percentage, state.Schedule!.StepIndex, state.UpdatedBy));
        Assert.Equal([10, 5, 1, 100], state.History.Select(h => h.Percentage));
    }

    [Fact]
    public async Task KillSwitch_SurvivesAnEmptiedRedis_AndAFreshInstanceConfiguredAt100_EveryInstanceServesZero()
    {
        var prefix = RolloutTestParts.NewPrefix();
        using var redisA = RolloutTestParts.Redis(_server, prefix);
        using var redisC = RolloutTestParts.Redis(_server, prefix);
        var a = new RedisRolloutStore(redisA, Microsoft.Extensions.Options.Options.Create(Options()), TimeProvider.System, NullLogger<RedisRolloutStore>.Instance);
        using var stop = new CancellationTokenSource();
        var syncA = a.RunAsync(TimeSpan.FromMinutes(10), stop.Token); // only the change channel can repair Redis in time
        await WaitUntilAsync(() => a.Get("streaming")!.Version >= 1);
        await a.SetAsync("streaming", 0, "admin", "kill switch");
        var killed = a.Get("streaming")!.Version;

        await using (var admin = await ConnectionMultiplexer.ConnectAsync(_server.ConnectionString + ",allowAdmin=true"))
        {
            await admin.GetServer(admin.GetEndPoints()[0]).FlushAllDatabasesAsync();
        }

        var c = new RedisRolloutStore(redisC, Microsoft.Extensions.Options.Options.Create(Options(o => o.Features["streaming"] = new RolloutFeatureOptions { Percentage = 100 })), TimeProvider.System, NullLogger<RedisRolloutStore>.Instance);
        var syncC = c.RunAsync(TimeSpan.FromMinutes(10), stop.Token);
        await WaitUntilAsync(() => c.Get("streaming")!.Version >= killed);

        Assert.Equal((0, killed), (c.Get("streaming")!.Percentage, c.Get("streaming")!.Version));
        Assert.Equal((0, killed), (a.Get("streaming")!.Percentage, a.Get("streaming")!.Version));
        await stop.CancelAsync();
        await Task.WhenAll(syncA, syncC);
    }

    [Fact]
    public async Task AnInstanceStartedWhileRedisIsDown_ServesTheUnknownStatePercentage_ThenTakesTheSharedState()
    {
        var prefix = RolloutTestParts.NewPrefix();
        using var redisA = RolloutTestParts.Redis(_server, prefix);
        var a = new RedisRolloutStore(redisA, Microsoft.Extensions.Options.Options.Create(Options()), TimeProvider.System, NullLogger<RedisRolloutStore>.Instance);
        await a.RefreshAsync("streaming");
        await a.SetAsync("streaming", 40, "admin", null);
        await _server.StopAsync();

        using var redisB = RolloutTestParts.Redis(_server, prefix);
        var b = new RedisRolloutStore(redisB, Microsoft.Extensions.Options.Options.Create(Options()), TimeProvider.System, NullLogger<RedisRolloutStore>.Instance);
        using var stop = new CancellationTokenSource();
        var syncA = a.RunAsync(TimeSpan.FromMilliseconds(200), stop.Token);
        var syncB = b.RunAsync(TimeSpan.FromMilliseconds(200), stop.Token);
        await Task.Delay(500);
        Assert.Equal((0, 0L), (b.Get("streaming")!.Percentage, b.Get("streaming")!.Version)); // configured 100, but nothing read yet

        // Redis back (empty): the instance that knows version 2 seeds it, and the new one takes it.
        await _server.StartAgainAsync();
        await WaitUntilAsync(() => b.Get("streaming")!.Version >= 2);
        Assert.Equal(40, b.Get("streaming")!.Percentage);
        await stop.CancelAsync();
        await Task.WhenAll(syncA, syncB);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold in time");
            await Task.Delay(20);
        }
    }
}
