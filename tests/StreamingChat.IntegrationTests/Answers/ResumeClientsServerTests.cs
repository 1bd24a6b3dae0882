using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>
/// The clients pages use, resuming an answer through a proxy that cuts the connection mid-answer: the real
/// <c>@microsoft/fetch-event-source</c> under Node (it retries with <c>Last-Event-ID</c> by itself), and Chromium's own
/// <c>EventSource</c> on the stream's <c>Location</c> URL, driven by Microsoft.Playwright.
/// </summary>
public sealed class ResumeClientsServerTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private FakeOpenAIServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeOpenAIServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    private static readonly string[] Words = [.. Enumerable.Range(0, 40).Select(i => $" w{i}")];

    private Task<HostInstance> StartHostAsync()
    {
        _upstream.Default = new FakeCompletion { Tokens = Words, TokenInterval = TimeSpan.FromMilliseconds(40) };

        // A short retry hint, so both clients come back quickly after the cut.
        return HostInstance.StartWithUpstreamAsync(_upstream, "--StreamingChat:Chat:RetryMilliseconds=200");
    }

    [Fact]
    public async Task FetchEventSource_CutMidAnswer_RetriesByItself_AndEndsWithTheWholeAnswerOnce()
    {
        await using var host = await StartHostAsync();
        await using var proxy = CuttingProxy.Start(host.Address, "\nid: 6\n");
        using var created = await host.Client.PostAsJsonAsync("/api/chat/sessions", new { sessionId = "page" });
        var key = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("sessionKey").GetString()!;

        var lines = await RunFetchEventSourceAsync(new Uri(proxy.Address, "/api/chat/query/stream"), new { query = "Count", chatbotId = "demo", sessionId = "page" }, key);

        Assert.True(proxy.HasCut);
        Assert.Equal(2, lines.Count(l => l.GetProperty("kind").GetString() == "open"));
        var messages = lines.Where(l => l.GetProperty("kind").GetString() == "message").ToList();
        Assert.Equal(Enumerable.Range(0, messages.Count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), messages.Select(m => m.GetProperty("id").GetString()));
        Assert.Equal("done", messages[^1].GetProperty("event").GetString());
        var text = string.Concat(messages.Where(m => m.GetProperty("event").GetString() == "token")
            .Select(m => JsonDocument.Parse(m.GetProperty("data").GetString()!).RootElement.GetProperty("text").GetString()));
        Assert.Equal(string.Concat(Words), text);

        var turns = await host.Services.GetRequiredService<IConversationStore>().GetRecentAsync("page", 10);
        Assert.Equal([("Count", MessageStatus.Complete), (string.Concat(Words), MessageStatus.Complete)], turns.Select(t => (t.Content, t.Status)));
        Assert.Single(_upstream.Requests);
    }

    [Fact]
    public async Task ChromiumEventSource_OnTheResumeUrl_CutMidAnswer_ReconnectsAndEndsWithTheWholeAnswerOnce()
    {
        await using var host = await StartHostAsync();
        await using var proxy = CuttingProxy.Start(host.Address, "\nid: 8\n");

        using var playwright = await Playwright.CreateAsync();

        // The browser is up before the question is asked, so the answer is still running when the page resumes it.
        await using var browser = await ChromiumFixture.LaunchAsync(playwright);
        var page = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(proxy.Address, "/healthz/live").ToString());

        // The page's first connection read three events and dropped; the page resumes from the Location URL alone.
        string location;
        string before;
        using (var response = await host.PostStreamAsync(new { query = "Count", chatbotId = "demo", sessionId = "browser" }))
        {
            location = response.Headers.Location!.OriginalString;
            var first = new List<ReceivedEvent>();
            await foreach (var e in SseTestClient.ReadEventsAsync(await response.Content.ReadAsStreamAsync()))
            {
                first.Add(e);
                if (e.Id == "2")
                {
                    break;
                }
            }

            before = string.Concat(first.Select(e => e.Text));
        }

        var received = await page.EvaluateAsync<JsonElement>(
            """
            url => new Promise((resolve, reject) => {
              const events = [];
              let opens = 0;
              const source = new EventSource(url);
              source.onopen = () => opens++;
              const take = e => {
                // EventSource fires a plain "error" event of its own when the connection drops (then reconnects);
                // the answer's error event is a MessageEvent with data.
                if (!(e instanceof MessageEvent)) return;
                events.push({ id: e.lastEventId, type: e.type, data: e.data });
                if (e.type === 'done' || e.type === 'error') { source.close(); resolve({ opens, events }); }
              };
              for (const type of ['start', 'token', 'done', 'error']) source.addEventListener(type, take);
              setTimeout(() => { source.close(); reject(new Error('timed out: ' + JSON.stringify(events))); }, 25000);
            })
            """,
            new Uri(proxy.Address, location + "&lastEventId=2").ToString());

        Assert.True(proxy.HasCut);
        Assert.Equal(2, received.GetProperty("opens").GetInt32());
        var events = received.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(Enumerable.Range(3, events.Count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), events.Select(e => e.GetProperty("id").GetString()));
        Assert.Equal("done", events[^1].GetProperty("type").GetString());
        var text = before + string.Concat(events.Where(e => e.GetProperty("type").GetString() == "token")
            .Select(e => JsonDocument.Parse(e.GetProperty("data").GetString()!).RootElement.GetProperty("text").GetString()));
        Assert.Equal(string.Concat(Words), text);
        var turns = await host.Services.GetRequiredService<IConversationStore>().GetRecentAsync("browser", 10);
        Assert.Equal(string.Concat(Words), turns[^1].Content);
    }

    private static Task<List<JsonElement>> RunFetchEventSourceAsync(Uri url, object body, string sessionKey)
        => NodeClients.RunLinesAsync(
            "fetch-event-source-client.mjs",
            Path.Combine(NodeClients.NodeModules, "@microsoft", "fetch-event-source"),
            url.ToString(),
            JsonSerializer.Serialize(body),
            JsonSerializer.Serialize(new Dictionary<string, string> { ["X-Session-Key"] = sessionKey }),
            "retry");
}
