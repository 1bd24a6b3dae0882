using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>The feature-flag endpoints of the running host, and what a rollout change does to callers.</summary>
public sealed class RolloutServerTests : IAsyncLifetime
{
    private const string Key = "7c1e5a9f3b2d8e4c6a0f1b7d9e3c5a2f";
    private FakeOpenAIServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeOpenAIServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    private Task<HostInstance> StartAsync(params string[] settings)
        => HostInstance.StartWithUpstreamAsync(_upstream, [$"--StreamingChat:Admin:ApiKeys:0={Key}", .. settings]);

    private static HttpRequestMessage Rollout(string body, string? key = Key, string header = "X-Admin-Key", string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/metrics/feature-flags/rollout") { Content = new StringContent(body, Encoding.UTF8, contentType) };
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation(header, header == "Authorization" ? $"Bearer {key}" : key);
        }

        return request;
    }

    [Fact]
    public async Task FeatureFlags_ByDefault_StreamingIsAtOneHundred()
    {
        await using var host = await StartAsync();

        var flags = await host.Client.GetFromJsonAsync<JsonElement>("/api/metrics/feature-flags");

        var streaming = Assert.Single(flags.GetProperty("features").EnumerateArray());
        Assert.Equal(("streaming", 100, "config"), (streaming.GetProperty("feature").GetString(), streaming.GetProperty("percentage").GetInt32(), streaming.GetProperty("updatedBy").GetString()));
        Assert.Equal(JsonValueKind.Object, streaming.GetProperty("guard").ValueKind);
    }

    [Fact]
    public async Task Rollout_WithTheKey_ChangesThePercentageAndRecordsHistory()
    {
        await using var host = await StartAsync("--StreamingChat:Rollout:Features:streaming:Percentage=1");

        using var first = await host.Client.SendAsync(Rollout("""{"feature":"streaming","percentage":5,"reason":"phase 2"}"""));
        using var second = await host.Client.SendAsync(Rollout("""{"feature":"streaming","percentage":10}""", header: "Authorization"));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var state = await second.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((10, "admin"), (state.GetProperty("percentage").GetInt32(), state.GetProperty("updatedBy").GetString()));
        Assert.Equal([5, 1], state.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("percentage").GetInt32()));
        Assert.Equal("phase 2", state.GetProperty("history")[0].GetProperty("reason").GetString());
        var listed = (await host.Client.GetFromJsonAsync<JsonElement>("/api/metrics/feature-flags")).GetProperty("features")[0];
        Assert.Equal(state.GetProperty("version").GetInt64(), listed.GetProperty("version").GetInt64());
    }

    public static TheoryData<string?, int, string> Refusals => new()
    {
        { null, 401, "unauthorized" },
        { "wrong-key", 401, "unauthorized" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Rollout_WithoutTheRightKey_IsRefused(string? key, int status, string code)
    {
        await using var host = await StartAsync();

        using var response = await host.Client.SendAsync(Rollout("""{"feature":"streaming","percentage":0}""", key));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(code, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        Assert.Equal(100, (await host.Client.GetFromJsonAsync<JsonElement>("/api/metrics/feature-flags")).GetProperty("features")[0].GetProperty("percentage").GetInt32());
    }

    [Fact]
    public async Task Rollout_NoKeyConfigured_IsAdminDisabled()
    {
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream);

        using var response = await host.Client.SendAsync(Rollout("""{"feature":"streaming","percentage":0}"""));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("admin_disabled", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("""{"feature":"streaming","percentage":101}""", "percentage")]
    [InlineData("""{"feature":"streaming","percentage":-1}""", "percentage")]
    [InlineData("""{"feature":"streaming","percentage":1.5}""", "percentage")]
    [InlineData("""{"feature":"streaming","percentage":"50"}""", "percentage")]
    [InlineData("""{"feature":"streaming"}""", "percentage")]
    [InlineData("""{"feature":"teleport","percentage":5}""", "feature")]
    [InlineData("""{"percentage":5}""", "feature")]
    [InlineData("""{"feature":"streaming","percentage":5,"extra":true}""", "extra")]
    [InlineData("""{"feature":"streaming","percentage":""", "body")]
    public async Task Rollout_BadChange_IsInvalidRequestNamingTheField(string body, string field)
    {
        await using var host = await StartAsync();

        using var response = await host.Client.SendAsync(Rollout(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("invalid_request", problem.GetProperty("code").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task KillSwitch_AtZero_CallersGetTheSameEventsWithTheAnswerInOneToken()
    {
        await using var host = await StartAsync();
        using (var change = await host.Client.SendAsync(Rollout("""{"feature":"streaming","percentage":0,"reason":"kill switch"}""")))
        {
            Assert.Equal(HttpStatusCode.OK, change.StatusCode);
        }

        using var response = await host.PostStreamAsync(new { query = "Hello", chatbotId = "demo", sessionId = "s1" });
        var events = new List<ReceivedEvent>();
        await foreach (var e in SseTestClient.ReadEventsAsync(await response.Content.ReadAsStreamAsync()))
        {
            events.Add(e);
        }

        Assert.Equal("off", Assert.Single(response.Headers.GetValues("X-Streaming")));
        Assert.Equal(["start", "token", "done"], events.Select(e => e.Type));
        Assert.False(events[0].Data.GetProperty("streaming").GetBoolean());
        Assert.Equal("Hello from the fake!", events[1].Text);
    }

    [Fact]
    public async Task Decision_HoldsOnASmallSampleThenProceedsThenRollsBack()
    {
        await using var host = await StartAsync("--StreamingChat:Rollout:Criteria:MinSampleSize=10");
        Assert.Equal("hold", await DecisionAsync(host));

        for (var i = 0; i < 10; i++)
        {
            await host.AskAsync("fine");
        }

        var proceed = await host.Client.GetFromJsonAsync<JsonElement>("/api/metrics/feature-flags/decision");
        Assert.Equal(("streaming", "proceed", 10), (proceed.GetProperty("feature").GetString(), proceed.GetProperty("decision").GetString(), proceed.GetProperty("sampleSize").GetInt32()));
        Assert.All(proceed.GetProperty("criteria").EnumerateArray(), c => Assert.True(c.GetProperty("met").GetBoolean()));

        _upstream.Enqueue(new FakeCompletion { FailStatus = 500 });
        await host.AskAsync("fails");
        var rollback = await host.Client.GetFromJsonAsync<JsonElement>("/api/metrics/feature-flags/decision");
        Assert.Equal("rollback", rollback.GetProperty("decision").GetString());
        var errorRate = rollback.GetProperty("criteria").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "errorRate");
        Assert.False(errorRate.GetProperty("met").GetBoolean());
        Assert.Contains(rollback.GetProperty("reasons").EnumerateArray(), r => r.GetString()!.StartsWith("errorRate", StringComparison.Ordinal));
    }

    private static async Task<string?> DecisionAsync(HostInstance host)
        => (await host.Client.GetFromJsonAsync<JsonElement>("/api/metrics/feature-flags/decision")).GetProperty("decision").GetString();
}
