using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>SIGTERM on the built host as its own process: what a caller sees while the instance drains.</summary>
public sealed class DrainServerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Sigterm_RefusesNewStreams_FailsReadiness_EndsLongStreamsWithServerDraining_AndExitsZero()
    {
        // A slow answer (about 12 s), a drain time of 1.5 s and a notice of 3 s to ask during it.
        await using var host = await HostProcess.StartAsync(
            "--StreamingChat:Model:Offline:FirstTokenDelayMs=10", "--StreamingChat:Model:Offline:TokenIntervalMs=200",
            "--StreamingChat:Drain:TimeoutSeconds=1.5", "--StreamingChat:Drain:NoticeSeconds=3", "--StreamingChat:Drain:RetryAfterSeconds=4");
        using var client = new HttpClient { BaseAddress = host.Address, Timeout = Patience };
        var (live, events, received) = await StartStreamAsync(client, "Tell me a long story");
        using var response = live;

        await host.SignalTerminateAsync();
        await Task.Delay(300);
        using var refused = await client.PostAsJsonAsync("/api/chat/query/stream", new { query = "Hi", chatbotId = "demo", sessionId = "late" });
        using var ready = await client.GetAsync("/healthz/ready");
        while (await events.MoveNextAsync())
        {
            received.Add(events.Current);
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("server_draining", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        Assert.Equal(TimeSpan.FromSeconds(4), refused.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("error", received[^1].Type);
        Assert.Equal(("server_draining", true), (received[^1].Data.GetProperty("code").GetString(), received[^1].Data.GetProperty("retryable").GetBoolean()));
        Assert.True(received.Count(e => e.Type == "token") >= 2);
        Assert.Single(received, e => e.Type is "error" or "done");
        Assert.Equal(0, await host.WaitForExitAsync());
        Assert.Contains("Draining", host.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_LiveStreamShorterThanTheDrainTime_FinishesWithDone()
    {
        await using var host = await HostProcess.StartAsync("--StreamingChat:Model:Offline:FirstTokenDelayMs=10", "--StreamingChat:Model:Offline:TokenIntervalMs=20", "--StreamingChat:Drain:TimeoutSeconds=20");
        using var client = new HttpClient { BaseAddress = host.Address, Timeout = Patience };
        var (live, events, received) = await StartStreamAsync(client, "Hello");
        using var response = live;

        await host.SignalTerminateAsync();
        while (await events.MoveNextAsync())
        {
            received.Add(events.Current);
        }

        Assert.Equal("done", received[^1].Type);
        Assert.Equal(received[^1].Data.GetProperty("usage").GetProperty("outputTokens").GetInt32(), received.Count(e => e.Type == "token"));
        Assert.Equal(0, await host.WaitForExitAsync());
    }

    /// <summary>Starts a stream and reads it up to its second token.</summary>
    private static async Task<(HttpResponseMessage Response, IAsyncEnumerator<ReceivedEvent> Events, List<ReceivedEvent> Received)> StartStreamAsync(HttpClient client, string query)
    {
        var response = await client.SendAsync(
            new HttpRequestMessage(HttpMethod.Post, "/api/chat/query/stream") { Content = JsonContent.Create(new { query, chatbotId = "demo", sessionId = "live" }) },
            HttpCompletionOption.ResponseHeadersRead);
        var events = SseTestClient.ReadEventsAsync(await response.Content.ReadAsStreamAsync()).GetAsyncEnumerator();
        var received = new List<ReceivedEvent>();
        while (received.Count(e => e.Type == "token") < 2 && await events.MoveNextAsync())
        {
            received.Add(events.Current);
        }

        return (response, events, received);
    }
}
