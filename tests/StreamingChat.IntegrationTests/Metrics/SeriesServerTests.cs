using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary><c>GET /api/metrics/streaming/series</c>: per interval, for this instance, and for the service through one real Redis.</summary>
public sealed class SeriesServerTests
{
    private static readonly string[] Fast = ["--StreamingChat:Model:Offline:FirstTokenDelayMs=0", "--StreamingChat:Model:Offline:TokenIntervalMs=0"];

    private static async Task<List<JsonElement>> SeriesAsync(HostInstance host, string query)
        => [.. (await host.Client.GetFromJsonAsync<JsonElement>("/api/metrics/streaming/series" + query)).EnumerateArray()];

    private static long Sum(List<JsonElement> points, string name) => points.Sum(p => p.GetProperty(name).GetInt64());

    [Fact]
    public async Task ThisInstance_CountsEachStreamOnce_InFiveSecondIntervals_OldestFirst()
    {
        await using var host = await HostInstance.StartAsync(Fast);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("done", (await host.AskAsync($"Q{i}", sessionId: $"s{i}"))[^1].Type);
        }

        var points = await SeriesAsync(host, "?seconds=60&scope=instance");

        Assert.Equal(12, points.Count);
        var times = points.Select(p => p.GetProperty("at").GetDateTimeOffset()).ToList();
        Assert.All(times.Zip(times.Skip(1)), pair => Assert.Equal(TimeSpan.FromSeconds(5), pair.Second - pair.First));
        Assert.All(times, t => Assert.Equal(0, t.ToUnixTimeSeconds() % 5));
        Assert.Equal((3, 3, 0, 0), (Sum(points, "requests"), Sum(points, "succeeded"), Sum(points, "failed"), Sum(points, "clientAborted")));
        Assert.True(Sum(points, "tokens") > 0);
        Assert.Contains(points, p => p.GetProperty("p50FirstTokenMs").ValueKind == JsonValueKind.Number);
        Assert.Contains(points, p => p.GetProperty("activeStreams").GetInt64() >= 1);
        Assert.All(points.Where(p => p.GetProperty("requests").GetInt64() == 0), p => Assert.Equal(JsonValueKind.Null, p.GetProperty("p95FirstTokenMs").ValueKind));
        Assert.Equal(60, (await SeriesAsync(host, "")).Count); // 300 s by default
    }

    [Fact]
    public async Task TheService_AddsUpEveryInstanceThroughRedis()
    {
        await using var redis = await RedisTestServer.StartAsync();
        string[] settings = [$"--REDIS_URL=redis://127.0.0.1:{redis.Port}", .. Fast];
        await using var a = await HostInstance.StartAsync(settings);
        await using var b = await HostInstance.StartAsync(settings);
        await a.AskAsync("On A", sessionId: "a1");
        await a.AskAsync("On A again", sessionId: "a2");
        await b.AskAsync("On B", sessionId: "b1");

        List<JsonElement> service = [];
        for (var i = 0; i < 150 && Sum(service, "requests") < 3; i++)
        {
            await Task.Delay(100); // B shares its intervals when it reports itself, every 5 s
            service = await SeriesAsync(a, "?seconds=120");
        }

        Assert.Equal((3, 3), (Sum(service, "requests"), Sum(service, "succeeded")));
        Assert.Equal(2, Sum(await SeriesAsync(a, "?seconds=120&scope=instance"), "requests"));
    }

    [Theory]
    [InlineData("?seconds=0", "seconds")]
    [InlineData("?seconds=abc", "seconds")]
    [InlineData("?scope=cluster", "scope")]
    public async Task BadParameters_Are400_NamingTheField(string query, string field)
    {
        await using var host = await HostInstance.StartAsync();

        using var response = await host.Client.GetAsync("/api/metrics/streaming/series" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty(field, out _));
    }
}
