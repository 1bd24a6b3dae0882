using System.Net.Http.Json;
using System.Text.Json;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>The sample host on a real Redis that goes away and comes back.</summary>
public sealed class RedisHostServerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RedisStoppedMidRun_HostKeepsAnswering_HealthDegraded_ThenHealthyWhenRedisIsBack()
    {
        await using var redis = await RedisTestServer.StartAsync();
        await using var host = await HostInstance.StartAsync($"--REDIS_URL=redis://127.0.0.1:{redis.Port}", "--StreamingChat:Model:Offline:FirstTokenDelayMs=0", "--StreamingChat:Model:Offline:TokenIntervalMs=0");

        Assert.Equal("done", (await host.AskAsync("Hello"))[^1].Type);
        Assert.Equal(("healthy", "healthy"), await HealthAsync(host));

        await redis.StopAsync();
        var degraded = await EventuallyAsync(host, "degraded");
        Assert.Equal("degraded", degraded.Redis);
        Assert.Equal("done", (await host.AskAsync("Still there?", sessionId: "s2"))[^1].Type);
        Assert.Equal("done", (await host.AskAsync("And again?", chatbotId: "demo", sessionId: "s3"))[^1].Type);
        using (var ready = await host.Client.GetAsync("/healthz/ready"))
        {
            Assert.True(ready.IsSuccessStatusCode, "readiness stays up while only Redis is away");
        }

        await redis.StartAgainAsync();
        var healthy = await EventuallyAsync(host, "healthy");
        Assert.Equal("healthy", healthy.Redis);
        Assert.Equal("done", (await host.AskAsync("Back?", sessionId: "s4"))[^1].Type);
    }

    [Fact]
    public async Task RedisAwayAtStart_HostStartsAndAnswers_WithHealthDegraded()
    {
        await using var host = await HostInstance.StartAsync($"--ConnectionStrings:Redis=127.0.0.1:{TestPorts.Free()}", "--StreamingChat:Model:Offline:FirstTokenDelayMs=0", "--StreamingChat:Model:Offline:TokenIntervalMs=0");

        Assert.Equal("done", (await host.AskAsync("Hello"))[^1].Type);
        Assert.Equal(("degraded", "degraded"), await HealthAsync(host));
    }

    private static async Task<(string Status, string? Redis)> HealthAsync(HostInstance host)
    {
        var body = await host.Client.GetFromJsonAsync<JsonElement>("/api/metrics/health/streaming");
        return (body.GetProperty("status").GetString()!, body.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());
    }

    private static async Task<(string Status, string? Redis)> EventuallyAsync(HostInstance host, string redisStatus)
    {
        using var patience = new CancellationTokenSource(Patience);
        while (true)
        {
            var health = await HealthAsync(host);
            if (health.Redis == redisStatus)
            {
                return health;
            }

            await Task.Delay(100, patience.Token);
        }
    }
}
