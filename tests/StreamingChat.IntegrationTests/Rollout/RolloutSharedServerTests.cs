using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>Two host instances on one real Redis: one rollout state, one service-wide window, one guard acting.</summary>
public sealed class RolloutSharedServerTests : IAsyncLifetime
{
    private const string Key = "7c1e5a9f3b2d8e4c6a0f1b7d9e3c5a2f";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private RedisTestServer _redis = null!;
    private FakeOpenAIServer _upstream = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisTestServer.StartAsync();
        _upstream = await FakeOpenAIServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _upstream.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private Task<HostInstance> StartAsync(params string[] settings)
        => HostInstance.StartWithUpstreamAsync(_upstream, [$"--StreamingChat:Admin:ApiKeys:0={Key}", $"--REDIS_URL=redis://127.0.0.1:{_redis.Port}", .. settings]);

    [Fact]
    public async Task PostToOneInstance_ChangesTheOthersAnswersWithinASecond_AndBothListTheSameHistory()
    {
        await using var a = await StartAsync();
        await using var b = await StartAsync();
        await WaitUntilAsync(async () => (await FeatureAsync(b)).GetProperty("version").GetInt64() >= 1);
        Assert.Equal("on", await StreamingHeaderAsync(b, "caller-1"));

        await PostAsync(a, """{"feature":"streaming","percentage":0,"reason":"kill switch drill"}""");
        var posted = Stopwatch.StartNew();
        while (await StreamingHeaderAsync(b, "caller-1") != "off")
        {
            Assert.True(posted.Elapsed < TimeSpan.FromSeconds(1), "the other instance still streams after a second");
        }

        var seenAfter = posted.Elapsed;
        await PostAsync(b, """{"feature":"streaming","percentage":25,"reason":"phase 4"}""");
        await WaitUntilAsync(async () => (await FeatureAsync(a)).GetProperty("percentage").GetInt32() == 25);

        var stateA = await FeatureAsync(a);
        var stateB = await FeatureAsync(b);
        Assert.True(seenAfter < TimeSpan.FromSeconds(1));
        Assert.Equal(stateA.GetProperty("version").GetInt64(), stateB.GetProperty("version").GetInt64());
        Assert.Equal(stateA.GetProperty("history").GetRawText(), stateB.GetProperty("history").GetRawText());
        Assert.Equal([(0, "kill switch drill"), (100, null)], stateB.GetProperty("history").EnumerateArray().Select(h => (h.GetProperty("percentage").GetInt32(), h.GetProperty("reason").GetString())));
    }

    [Fact]
    public async Task Guard_FailingUpstreamAcrossBothInstances_SetsZeroByItself_AndTheDecisionSaysRollback()
    {
        string[] guard = ["--StreamingChat:Rollout:Guard:Enabled=true", "--StreamingChat:Rollout:Guard:IntervalSeconds=1", "--StreamingChat:Rollout:Guard:MinSampleSize=10", "--StreamingChat:Rollout:Criteria:MinSampleSize=10"];
        await using var a = await StartAsync(guard);
        await using var b = await StartAsync(guard);

        // Until an instance has read the shared state it serves streaming off (UnknownStatePercentage): those streams would
        // count in the other cohort, not the streaming one the guard judges.
        await WaitUntilAsync(async () => (await FeatureAsync(a)).GetProperty("version").GetInt64() >= 1);
        await WaitUntilAsync(async () => (await FeatureAsync(b)).GetProperty("version").GetInt64() >= 1);
        _upstream.Default = new FakeCompletion { FailStatus = 500 };

        // Six failures on each instance: only the service-wide window holds enough streams to act on.
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal("error", (await a.AskAsync("fails", sessionId: $"a{i}"))[^1].Type);
            Assert.Equal("error", (await b.AskAsync("fails", sessionId: $"b{i}"))[^1].Type);
        }

        await WaitUntilAsync(async () => (await FeatureAsync(a)).GetProperty("percentage").GetInt32() == 0);
        await WaitUntilAsync(async () => (await FeatureAsync(b)).GetProperty("percentage").GetInt32() == 0);

        var state = await FeatureAsync(b);
        Assert.Equal("guard", state.GetProperty("updatedBy").GetString());
        Assert.Contains("errorRate 1 > 0.02", state.GetProperty("reason").GetString(), StringComparison.Ordinal);
        var guards = new[] { (await FeatureAsync(a)).GetProperty("guard"), state.GetProperty("guard") };
        Assert.Contains(guards, g => g.GetProperty("state").GetString() == "tripped");
        Assert.All(guards, g => Assert.True(g.GetProperty("enabled").GetBoolean()));
        Assert.Single(state.GetProperty("history").EnumerateArray());

        var decision = await a.Client.GetFromJsonAsync<JsonElement>("/api/metrics/feature-flags/decision");
        Assert.Equal("rollback", decision.GetProperty("decision").GetString());
        Assert.Equal("service", decision.GetProperty("window").GetProperty("scope").GetString());
        Assert.True(decision.GetProperty("sampleSize").GetInt32() >= 12);
        Assert.False(decision.GetProperty("criteria").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "errorRate").GetProperty("met").GetBoolean());
        Assert.Equal("off", await StreamingHeaderAsync(a, "after-rollback"));
    }

    [Fact]
    public async Task RedisAway_TheLastKnownStateStands_AndAChangeIsRefusedWithNothingChanged()
    {
        await using var host = await StartAsync("--StreamingChat:Model:OpenAI:MaxRetries=0");
        await WaitUntilAsync(async () => (await FeatureAsync(host)).GetProperty("version").GetInt64() >= 1);
        await PostAsync(host, """{"feature":"streaming","percentage":0,"reason":"kill switch"}""");

        await _redis.StopAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/metrics/feature-flags/rollout") { Content = new StringContent("""{"feature":"streaming","percentage":50}""", Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Admin-Key", Key);
        using var refused = await host.Client.SendAsync(request);

        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("rollout_store_unavailable", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Equal(0, (await FeatureAsync(host)).GetProperty("percentage").GetInt32());
        Assert.Equal("off", await StreamingHeaderAsync(host, "caller-during-outage"));
    }

    private static async Task PostAsync(HostInstance host, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/metrics/feature-flags/rollout") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Admin-Key", Key);
        using var response = await host.Client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<JsonElement> FeatureAsync(HostInstance host)
        => (await host.Client.GetFromJsonAsync<JsonElement>("/api/metrics/feature-flags")).GetProperty("features")[0];

    private static async Task<string?> StreamingHeaderAsync(HostInstance host, string userId)
    {
        using var response = await host.PostStreamAsync(new { query = "Hi", chatbotId = "demo", sessionId = "s", userId });
        var header = response.Headers.GetValues("X-Streaming").Single();
        await response.Content.ReadAsStringAsync();
        return header;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var patience = new CancellationTokenSource(Patience);
        while (!await condition())
        {
            await Task.Delay(50, patience.Token);
        }
    }
}
