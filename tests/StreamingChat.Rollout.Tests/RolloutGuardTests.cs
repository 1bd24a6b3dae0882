using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.Rollout.Tests;

public sealed class RolloutGuardTests
{
    private sealed class Parts
    {
        public Parts(RolloutOptions options, StreamingChatRedis? redis = null, IMeterFactory? meters = null)
        {
            Metrics = TestMeterFactory.CreateMetrics(Time, factory: meters);
            Store = redis is null
                ? new InMemoryRolloutStore(Options.Create(options), Time)
                : new RedisRolloutStore(redis, Options.Create(options), Time, NullLogger<RedisRolloutStore>.Instance);
            var window = RolloutTestParts.Window(Metrics, options, redis, Time);
            IGuardLock guardLock = redis is null ? new InMemoryGuardLock() : new RedisGuardLock(redis, new StreamingChatInstance(Options.Create(new MetricsOptions { InstanceId = Guid.NewGuid().ToString("N") }), TimeProvider.System));
            Scheduler = new RolloutScheduler(Store, Metrics, Time, NullLogger<RolloutScheduler>.Instance);
            Guard = new RolloutGuard(Store, Scheduler, window, guardLock, Metrics, new StaticOptionsMonitor<RolloutOptions>(options), Time, Logger);
        }

        public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero));

        public FakeLogger<RolloutGuard> Logger { get; } = new();

        public StreamingChatMetrics Metrics { get; }

        public IRolloutStore Store { get; }

        public RolloutGuard Guard { get; }

        public RolloutScheduler Scheduler { get; }
    }

    private static RolloutOptions GuardOn(int minSample = 20) => RolloutTestParts.Options(o =>
    {
        o.Guard.Enabled = true;
        o.Guard.MinSampleSize = minSample;
    });

    [Fact]
    public async Task FailingStreams_SetTheFeatureToZero_AsTheGuard_WithTheReasons_LoggedCritical_AndCounted()
    {
        using var meters = new TestMeterFactory();
        var trips = 0L;
        using var listener = new MeterListener { InstrumentPublished = (i, l) => { if (i.Name == RolloutTelemetry.Instruments.GuardTrips) { l.EnableMeasurementEvents(i); } } };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref trips, value));
        listener.Start();
        var parts = new Parts(GuardOn(), meters: meters);
        await parts.Store.SetAsync("streaming", 25, "admin", "phase 4");
        parts.Time.Advance(TimeSpan.FromSeconds(2));
        RolloutTestParts.Streams(parts.Metrics, succeeded: 15, failed: 10);

        var status = await parts.Guard.EvaluateOnceAsync();

        var state = parts.Store.Get("streaming")!;
        Assert.Equal((0, "guard"), (state.Percentage, state.UpdatedBy));
        Assert.Contains("errorRate 0.4 > 0.02", state.Reason, StringComparison.Ordinal);
        Assert.Equal((GuardStatus.Tripped, RolloutDecision.Rollback), (status["streaming"].State, status["streaming"].Decision));
        var critical = Assert.Single(parts.Logger.Collector.GetSnapshot(), r => r.Level == Microsoft.Extensions.Logging.LogLevel.Critical);
        Assert.Contains("from 25 % to 0 %", critical.Message, StringComparison.Ordinal);
        Assert.Equal(1, Interlocked.Read(ref trips));

        // At 0 % it does nothing more, and it never raises the percentage.
        await parts.Guard.EvaluateOnceAsync();
        Assert.Equal(3, parts.Store.Get("streaming")!.Version);
        Assert.Equal(GuardStatus.Tripped, parts.Guard.StatusOf("streaming")!.State);
    }

    [Fact]
    public async Task SmallSample_Holds_AndHealthyStreams_Proceed_WithoutAChange()
    {
        var parts = new Parts(GuardOn(minSample: 50));
        await parts.Store.SetAsync("streaming", 5, "admin", "phase 2");
        parts.Time.Advance(TimeSpan.FromSeconds(2));
        RolloutTestParts.Streams(parts.Metrics, succeeded: 5, failed: 5);

        var small = await parts.Guard.EvaluateOnceAsync();
        Assert.Equal((GuardStatus.Watching, RolloutDecision.Hold), (small["streaming"].State, small["streaming"].Decision));

        // A new phase starts: only its own streams count.
        await parts.Store.SetAsync("streaming", 25, "admin", "phase 4");
        parts.Time.Advance(TimeSpan.FromSeconds(2));
        RolloutTestParts.Streams(parts.Metrics, succeeded: 60, failed: 0);
        var healthy = await parts.Guard.EvaluateOnceAsync();

        Assert.Equal(RolloutDecision.Proceed, healthy["streaming"].Decision);
        Assert.Equal(25, parts.Store.Get("streaming")!.Percentage);
    }

    [Fact]
    public async Task TwoInstancesOnOneRedis_OnlyOneGuardActs()
    {
        await using var server = await RedisTestServer.StartAsync();
        var prefix = RolloutTestParts.NewPrefix();
        using var redisA = RolloutTestParts.Redis(server, prefix);
        using var redisB = RolloutTestParts.Redis(server, prefix);
        var a = new Parts(GuardOn(), redisA);
        var b = new Parts(GuardOn(), redisB);
        await a.Store.RefreshAsync("streaming"); // a guard never acts on a state it has not read
        await b.Store.RefreshAsync("streaming");

        var first = await a.Guard.EvaluateOnceAsync();
        var second = await b.Guard.EvaluateOnceAsync();

        Assert.Equal(GuardStatus.Watching, first["streaming"].State);
        Assert.Equal(GuardStatus.Standby, second["streaming"].State);
        Assert.Equal(GuardStatus.Watching, (await a.Guard.EvaluateOnceAsync())["streaming"].State);
    }
}
