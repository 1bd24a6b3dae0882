using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.AspNetCore.Tests;

public sealed class StreamingHealthCheckTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly StreamingChatDrain _drain = new();
    private readonly StreamingChatMetrics _metrics;
    private readonly HealthOptions _options = new() { MemoryLimitBytes = long.MaxValue / 2 };

    public StreamingHealthCheckTests() => _metrics = TestMeterFactory.CreateMetrics(_time);

    private async Task<HealthCheckResult> CheckAsync()
    {
        var check = new StreamingHealthCheck(_metrics, new ProcessFigures(new StaticOptionsMonitor<HealthOptions>(_options), _time), _drain, new StaticOptionsMonitor<HealthOptions>(_options));
        return await check.CheckHealthAsync(new HealthCheckContext());
    }

    private void Streams(int succeeded, int failed, double firstTokenMs = 200)
    {
        for (var i = 0; i < succeeded + failed; i++)
        {
            _metrics.StreamStarted("demo", "m", true);
            _metrics.StreamFinished("demo", "m", true, i < failed ? StreamOutcome.Failed : StreamOutcome.Succeeded, i < failed ? ChatErrorCodes.UpstreamUnavailable : null, TimeSpan.FromMilliseconds(firstTokenMs), TimeSpan.FromSeconds(1), 10);
        }
    }

    [Fact]
    public async Task Check_NothingYet_IsHealthy()
        => Assert.Equal(HealthStatus.Healthy, (await CheckAsync()).Status);

    [Fact]
    public async Task Check_ErrorRateOverTwoPercent_IsDegradedAndSaysWhy()
    {
        Streams(succeeded: 97, failed: 3);

        var result = await CheckAsync();

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Contains("error rate", result.Description, StringComparison.Ordinal);
        Assert.Equal(0.03, result.Data["errorRate"]);
    }

    [Fact]
    public async Task Check_ErrorRateAtTwoPercent_IsHealthy()
    {
        Streams(succeeded: 98, failed: 2);

        Assert.Equal(HealthStatus.Healthy, (await CheckAsync()).Status);
    }

    [Fact]
    public async Task Check_FewerStreamsThanTheMinimum_IgnoresTheErrorRate()
    {
        Streams(succeeded: 0, failed: 1);
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync()).Status);

        _options.MinRequests = 1;
        Assert.Equal(HealthStatus.Degraded, (await CheckAsync()).Status);
    }

    [Fact]
    public async Task Check_SlowFirstTokens_IsDegraded()
    {
        Streams(succeeded: 20, failed: 0, firstTokenMs: 2500);

        var result = await CheckAsync();

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Contains("p95 first-token latency", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_TooManyOpenStreams_IsDegraded()
    {
        _options.MaxActiveStreams = 2;
        for (var i = 0; i < 3; i++)
        {
            _metrics.StreamStarted("demo", "m", true);
        }

        var result = await CheckAsync();

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Equal(3L, result.Data["activeStreams"]);
    }

    [Fact]
    public async Task Check_MemoryOverTheShare_IsDegraded()
    {
        _options.MemoryLimitBytes = Environment.WorkingSet; // the working set is now 100 % of the limit

        var result = await CheckAsync();

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Contains("memory", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_Draining_IsUnhealthy()
    {
        _drain.BeginDrain();

        Assert.Equal(HealthStatus.Unhealthy, (await CheckAsync()).Status);
    }

    [Fact]
    public async Task Check_ErrorsAgeOutOfTheWindow_IsHealthyAgain()
    {
        Streams(succeeded: 10, failed: 10);
        Assert.Equal(HealthStatus.Degraded, (await CheckAsync()).Status);

        _time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(HealthStatus.Healthy, (await CheckAsync()).Status);
    }
}
