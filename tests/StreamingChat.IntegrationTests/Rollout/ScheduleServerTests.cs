using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>The progressive schedule's endpoints on the running host: start, 409 while active, pause, resume, promote, abort; the decision's cohorts.</summary>
public sealed class ScheduleServerTests : IAsyncLifetime
{
    private const string Key = "2f6b9d1a7c4e8b3f5a0d9c6e1b7f4a8d";
    private FakeOpenAIServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeOpenAIServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HostInstance host, string path, string? body, string? key = Key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/metrics/feature-flags/" + path) { Content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Add("X-Admin-Key", key);
        }

        using var response = await host.Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    [Fact]
    public async Task Schedule_StartsAtItsFirstStep_ManualChangesAre409_AndEachCommandDoesWhatItSays()
    {
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream, $"--StreamingChat:Admin:ApiKeys:0={Key}", "--StreamingChat:Rollout:Guard:WindowSeconds=60");

        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(host, "schedule", """{"feature":"streaming","steps":[1,5],"soakSeconds":60}""", key: null)).Status);
        var invalid = await PostAsync(host, "schedule", """{"feature":"streaming","steps":[5,1],"soakSeconds":10}""");
        Assert.Equal(HttpStatusCode.BadRequest, invalid.Status);
        Assert.Equal(["soakSeconds", "steps"], invalid.Body.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));

        var started = await PostAsync(host, "schedule", """{"feature":"streaming","steps":[1,5,10,25,50,75,90,100],"soakSeconds":600,"minSamples":200,"reason":"the guide's phases"}""");
        Assert.Equal(HttpStatusCode.OK, started.Status);
        Assert.Equal((1, "admin"), (started.Body.GetProperty("percentage").GetInt32(), started.Body.GetProperty("updatedBy").GetString()));
        var schedule = started.Body.GetProperty("schedule");
        Assert.Equal(("running", 0, 1, 600, 200), (schedule.GetProperty("state").GetString(), schedule.GetProperty("stepIndex").GetInt32(), schedule.GetProperty("percentage").GetInt32(), schedule.GetProperty("soakSeconds").GetInt32(), schedule.GetProperty("minSamples").GetInt32()));

        var manual = await PostAsync(host, "rollout", """{"feature":"streaming","percentage":100}""");
        Assert.Equal((HttpStatusCode.Conflict, "schedule_active"), (manual.Status, manual.Body.GetProperty("code").GetString()));
        Assert.Equal((HttpStatusCode.Conflict, "schedule_active"), ((await PostAsync(host, "schedule", """{"feature":"streaming","steps":[2],"soakSeconds":60}""")).Status, "schedule_active"));

        Assert.Equal("paused", (await PostAsync(host, "schedule/pause", null)).Body.GetProperty("schedule").GetProperty("state").GetString());
        Assert.Equal("running", (await PostAsync(host, "schedule/resume", """{"feature":"streaming"}""")).Body.GetProperty("schedule").GetProperty("state").GetString());
        var promoted = (await PostAsync(host, "schedule/promote", null)).Body;
        Assert.Equal((5, 1), (promoted.GetProperty("percentage").GetInt32(), promoted.GetProperty("schedule").GetProperty("stepIndex").GetInt32()));
        var aborted = (await PostAsync(host, "schedule/abort", """{"keepPercentage":false}""")).Body;
        Assert.Equal((0, "aborted"), (aborted.GetProperty("percentage").GetInt32(), aborted.GetProperty("schedule").GetProperty("state").GetString()));
        Assert.Equal((HttpStatusCode.Conflict, "schedule_not_active"), ((await PostAsync(host, "schedule/pause", null)).Status, (await PostAsync(host, "schedule/pause", null)).Body.GetProperty("code").GetString()));

        // Over: the guide's manual phases work as written again.
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(host, "rollout", """{"feature":"streaming","percentage":1,"reason":"phase 1"}""")).Status);
        var listed = (await host.Client.GetFromJsonAsync<JsonElement>("/api/metrics/feature-flags")).GetProperty("features")[0];
        Assert.Equal("aborted", listed.GetProperty("schedule").GetProperty("state").GetString());
        Assert.Equal([0, 5, 1, 100], listed.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("percentage").GetInt32()));
    }

    [Fact]
    public async Task Decision_ReportsBothCohortsAndTheRuleThatDecided()
    {
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream, "--StreamingChat:Rollout:Criteria:MinSampleSize=2");
        await host.AskAsync("streamed", sessionId: "c1");
        await host.AskAsync("streamed", sessionId: "c2");
        using var oneShot = await host.PostChatAsync("/api/chat/query", new { query = "whole", chatbotId = "demo", sessionId = "c3" });
        Assert.Equal(HttpStatusCode.OK, oneShot.StatusCode);

        var decision = await host.Client.GetFromJsonAsync<JsonElement>("/api/metrics/feature-flags/decision");

        Assert.Equal(("proceed", "absolute"), (decision.GetProperty("decision").GetString(), decision.GetProperty("rule").GetString()));
        Assert.Equal(2, decision.GetProperty("cohorts").GetProperty("streaming").GetProperty("requests").GetInt32());
        Assert.Equal(1, decision.GetProperty("cohorts").GetProperty("nonStreaming").GetProperty("requests").GetInt32());
        Assert.Equal(2, decision.GetProperty("sampleSize").GetInt32());
    }

    [Fact]
    public async Task AnInstanceThatCannotReadTheSharedState_ServesStreamingOff()
    {
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream, $"--REDIS_URL=redis://127.0.0.1:{TestPorts.Free()}", "--StreamingChat:Redis:TimeoutMilliseconds=200");
        using var response = await host.PostStreamAsync(new { query = "Hi", chatbotId = "demo", sessionId = "unknown-state" });

        Assert.Equal("off", response.Headers.GetValues("X-Streaming").Single());
        var flags = await host.Client.GetFromJsonAsync<JsonElement>("/api/metrics/feature-flags");
        Assert.Equal((0, 0), (flags.GetProperty("features")[0].GetProperty("percentage").GetInt32(), flags.GetProperty("features")[0].GetProperty("version").GetInt32()));
    }
}
