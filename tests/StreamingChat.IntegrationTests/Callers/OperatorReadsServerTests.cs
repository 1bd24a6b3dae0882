using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>Operator reads behind the admin key, named keys in the audit trail, and wrong keys throttled per client.</summary>
public sealed class OperatorReadsServerTests
{
    private const string Key = "5d9a1f7c3e2b8d4a6f0c9e1b7a3d5f2c";
    private const string AliceKey = "8b3e6a1d9f4c2e7b0a5d8c3f6e1b9a4d";

    private static Task<HostInstance> StartAsync(params string[] settings)
        => HostInstance.StartAsync([$"--StreamingChat:Admin:ApiKeys:0={Key}", $"--StreamingChat:Admin:NamedApiKeys:alice={AliceKey}", .. settings]);

    private static async Task<HttpStatusCode> GetAsync(HostInstance host, string path, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (key is not null)
        {
            request.Headers.Add("X-Admin-Key", key);
        }

        using var response = await host.Client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task ProtectReads_OperatorReadsNeedTheKey_HealthStaysOpenWithoutItsData_AndTheCronLineWorks()
    {
        await using var host = await StartAsync("--StreamingChat:Admin:ProtectReads=true");
        string[] reads = ["/api/metrics/streaming/summary", "/api/metrics/streaming", "/api/metrics/feature-flags", "/api/metrics/feature-flags/decision", "/metrics"];

        foreach (var path in reads)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(host, path));
            Assert.Equal(HttpStatusCode.OK, await GetAsync(host, path, Key));
        }

        using var response = await host.Client.GetAsync("/api/metrics/health/streaming");
        var health = await response.Content.ReadFromJsonAsync<JsonElement>();
        using var withKey = new HttpRequestMessage(HttpMethod.Get, "/api/metrics/health/streaming");
        withKey.Headers.Add("X-Admin-Key", Key);
        using var full = await host.Client.SendAsync(withKey);
        var fullHealth = await full.Content.ReadFromJsonAsync<JsonElement>();

        // The guide's cron line: curl -s …/api/metrics/health/streaming | jq -r '.status'
        Assert.Equal("healthy", health.GetProperty("status").GetString());
        Assert.False(health.GetProperty("checks").GetProperty("streaming").TryGetProperty("data", out _));
        Assert.True(fullHealth.GetProperty("checks").GetProperty("streaming").TryGetProperty("data", out _));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(host, "/healthz/live"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(host, "/healthz/ready"));
    }

    [Fact]
    public async Task ByDefault_OperatorReadsAreOpen_AsTheGuideCallsThem()
    {
        await using var host = await StartAsync();

        Assert.Equal(HttpStatusCode.OK, await GetAsync(host, "/api/metrics/streaming/summary"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(host, "/api/metrics/feature-flags"));
    }

    [Fact]
    public async Task NamedKey_IsRecordedAsWhoChangedTheRollout()
    {
        await using var host = await StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/metrics/feature-flags/rollout")
        {
            Content = new StringContent("""{"feature":"streaming","percentage":10,"reason":"phase 3"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Admin-Key", AliceKey);

        using var response = await host.Client.SendAsync(request);
        var state = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("alice", state.GetProperty("updatedBy").GetString());
    }

    [Fact]
    public async Task WrongKeys_AreThrottledPerClient_ThenEvenTheRightKeyWaits_AndAnotherClientIsNot()
    {
        await using var host = await StartAsync("--StreamingChat:Admin:MaxFailedAttemptsPerMinute=3");
        async Task<(HttpStatusCode, string?)> PostAsync(string key, string address)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/metrics/feature-flags/rollout")
            {
                Content = new StringContent("""{"feature":"streaming","percentage":50}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("X-Admin-Key", key);
            request.Headers.Add("X-Forwarded-For", address);
            using var response = await host.Client.SendAsync(request);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            return (response.StatusCode, body.TryGetProperty("code", out var code) ? code.GetString() : null);
        }

        var wrong = new List<(HttpStatusCode, string?)>();
        for (var i = 0; i < 3; i++)
        {
            wrong.Add(await PostAsync("wrong-key-" + i, "192.0.2.10"));
        }

        var throttled = await PostAsync(Key, "192.0.2.10");
        var otherClient = await PostAsync(Key, "192.0.2.11");

        Assert.All(wrong, w => Assert.Equal((HttpStatusCode.Unauthorized, "unauthorized"), w));
        Assert.Equal((HttpStatusCode.TooManyRequests, "rate_limited"), throttled);
        Assert.Equal(HttpStatusCode.OK, otherClient.Item1);
    }

    [Fact]
    public async Task AWrongAdminKey_IsLoggedForGrep_WithoutTheKey()
    {
        const string wrong = "guessed-key-4711-do-not-log-me";
        await using var host = await HostProcess.StartAsync($"--StreamingChat:Admin:ApiKeys:0={Key}");
        using var client = new HttpClient { BaseAddress = host.Address };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/metrics/feature-flags/rollout") { Content = new StringContent("""{"feature":"streaming","percentage":5}""", Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Admin-Key", wrong);

        using var response = await client.SendAsync(request);
        Assert.Equal(0, await host.TerminateAsync());

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("admin key refused", host.Output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(wrong, host.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, host.Output, StringComparison.Ordinal);
    }
}
