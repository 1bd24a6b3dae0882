using Microsoft.Extensions.Time.Testing;
using StreamingChat.Testing;

namespace StreamingChat.Rollout.Tests;

public sealed class ServiceWindowTests
{
    [Fact]
    public async Task InMemory_CountsThisInstancesStreams_FromTheStartOfThePhase()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero));
        var metrics = TestMeterFactory.CreateMetrics(time);
        var options = RolloutTestParts.Options(o => { o.Guard.BucketSeconds = 10; o.Guard.WindowSeconds = 300; });
        var window = RolloutTestParts.Window(metrics, options, time: time);
        RolloutTestParts.Streams(metrics, succeeded: 8, failed: 2);
        await window.FlushAsync();

        time.Advance(TimeSpan.FromSeconds(60));
        var phaseStart = time.GetUtcNow();
        time.Advance(TimeSpan.FromSeconds(10));
        RolloutTestParts.Streams(metrics, succeeded: 3, failed: 0);

        var all = await window.ReadAsync();
        var phase = await window.ReadAsync(phaseStart);

        Assert.Equal(("instance", 13L, 2L), (all.Scope, all.Figures.Requests, all.Figures.Failed));
        Assert.Equal((3L, 0L, 3L), (phase.Figures.Requests, phase.Figures.Failed, phase.Figures.Succeeded));
        Assert.Equal(200, phase.Figures.AverageFirstTokenMs);
        Assert.Equal(phaseStart.AddSeconds(10), phase.From); // the interval the phase began in is left out

        time.Advance(TimeSpan.FromSeconds(301));
        Assert.Equal(0, (await window.ReadAsync()).Figures.Requests);
    }

    [Fact]
    public async Task Redis_AddsUpEveryInstance()
    {
        await using var server = await RedisTestServer.StartAsync();
        var prefix = RolloutTestParts.NewPrefix();
        using var redisA = RolloutTestParts.Redis(server, prefix);
        using var redisB = RolloutTestParts.Redis(server, prefix);
        var options = RolloutTestParts.Options();
        var metricsA = TestMeterFactory.CreateMetrics();
        var metricsB = TestMeterFactory.CreateMetrics();
        var windowA = RolloutTestParts.Window(metricsA, options, redisA);
        var windowB = RolloutTestParts.Window(metricsB, options, redisB);

        RolloutTestParts.Streams(metricsA, succeeded: 10, failed: 0, firstTokenMs: 100);
        RolloutTestParts.Streams(metricsB, succeeded: 5, failed: 5, firstTokenMs: 400);
        await windowB.FlushAsync();
        var fromA = await windowA.ReadAsync();

        Assert.Equal("service", fromA.Scope);
        Assert.Equal((20L, 15L, 5L), (fromA.Figures.Requests, fromA.Figures.Succeeded, fromA.Figures.Failed));
        Assert.Equal(200, fromA.Figures.AverageFirstTokenMs); // (10 × 100 + 5 × 400) / 15

        // Flushing again adds nothing twice.
        await windowA.FlushAsync();
        Assert.Equal(20, (await windowB.ReadAsync()).Figures.Requests);
    }

    [Fact]
    public async Task RedisAway_ThisInstancesWindowAnswers()
    {
        await using var server = await RedisTestServer.StartAsync();
        using var redis = RolloutTestParts.Redis(server, RolloutTestParts.NewPrefix());
        var metrics = TestMeterFactory.CreateMetrics();
        var window = RolloutTestParts.Window(metrics, RolloutTestParts.Options(), redis);
        RolloutTestParts.Streams(metrics, succeeded: 4, failed: 1);

        await server.StopAsync();
        var reading = await window.ReadAsync();

        Assert.Equal(("instance", 5L), (reading.Scope, reading.Figures.Requests));
    }

    [Fact]
    public async Task CountsBufferedWhileTheStoreIsAway_LandInTheIntervalsTheyHappenedIn_OrAreDroppedPastTheWindow()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero));
        var metrics = TestMeterFactory.CreateMetrics(time);
        var options = RolloutTestParts.Options(o => { o.Guard.BucketSeconds = 1; o.Guard.WindowSeconds = 60; });
        var buckets = new FlakyBuckets();
        var window = new ServiceWindow(metrics, buckets, new StaticOptionsMonitor<RolloutOptions>(options), time, Microsoft.Extensions.Logging.Abstractions.NullLogger<ServiceWindow>.Instance);
        var start = time.GetUtcNow().ToUnixTimeSeconds();
        buckets.Down = true;

        RolloutTestParts.Streams(metrics, succeeded: 2, failed: 0);
        await Assert.ThrowsAsync<IOException>(() => window.FlushAsync());
        time.Advance(TimeSpan.FromSeconds(30));
        RolloutTestParts.Streams(metrics, succeeded: 3, failed: 0);
        await Assert.ThrowsAsync<IOException>(() => window.FlushAsync());
        time.Advance(TimeSpan.FromSeconds(40)); // the first interval has left the 60 s window
        RolloutTestParts.Streams(metrics, succeeded: 4, failed: 0);
        buckets.Down = false;
        await window.FlushAsync();

        Assert.Equal([(start + 30, 3L), (start + 70, 4L)], buckets.Added.Select(a => (a.Bucket, a.Counts.Streaming.Requests)));
    }

    /// <summary>Interval storage that fails while <see cref="Down"/>, and records what was added where.</summary>
    private sealed class FlakyBuckets : IWindowBuckets
    {
        public bool Down { get; set; }

        public List<(long Bucket, WindowCounts Counts)> Added { get; } = [];

        public bool Shared => true;

        public Task AddAsync(long bucket, WindowCounts delta, TimeSpan lifetime)
        {
            if (Down)
            {
                throw new IOException("store away");
            }

            Added.Add((bucket, delta));
            return Task.CompletedTask;
        }

        public Task<WindowCounts> SumAsync(long from, long to) => Task.FromResult(default(WindowCounts));
    }
}
