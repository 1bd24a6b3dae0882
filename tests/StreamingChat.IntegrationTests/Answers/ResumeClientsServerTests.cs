using System.Globalization;
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

    [Fact]
    public async Task FetchEventSource_CutAtEveryByteOfThreeEvents_ResumesWithTheStoredAnswer_ButForTheOneByteAfterAnIdLine()
    {
        // A fast answer, a short retry hint and room for many questions: one question per cut position.
        _upstream.Default = new FakeCompletion { Tokens = Words[..8] };
        await using var host = await HostInstance.StartWithUpstreamAsync(
            _upstream, "--StreamingChat:Chat:RetryMilliseconds=5", "--StreamingChat:RateLimiting:PermitsPerMinutePerClient=0", "--StreamingChat:RateLimiting:PermitsPerMinutePerSession=0");
        await using var proxy = CuttingProxy.StartCuttingRequests(host.Address);

        // Every byte from the start event's id line (the library resumes with Last-Event-ID from there on; before it, its
        // retry is a new question) to the end of the third token event, as the body comes off the wire. Events written
        // together share a chunk, so a run's bytes may sit a few places off these: the range has room on both sides.
        var body = await RawBodyAsync(host.Address);
        int IdLineEnd(int id) => body.IndexOf($"\nid: {id}\n\n", StringComparison.Ordinal) + $"\nid: {id}\n".Length;
        var cuts = Enumerable.Range(IdLineEnd(0) + 8, IdLineEnd(3) + 2 - IdLineEnd(0)).ToList();

        var results = await NodeClients.RunLinesAsync(
            "fetch-event-source-cuts.mjs",
            TimeSpan.FromSeconds(240),
            Path.Combine(NodeClients.NodeModules, "@microsoft", "fetch-event-source"),
            proxy.Address.ToString(),
            JsonSerializer.Serialize(cuts));

        Assert.Equal(cuts.Count, results.Count);
        Assert.Equal(cuts.Count, proxy.Cuts);
        var store = host.Services.GetRequiredService<IConversationStore>();
        var lostAfterAnIdLine = new List<int>();
        foreach (var result in results)
        {
            var cut = result.GetProperty("cut").GetInt32();
            var events = result.GetProperty("events").EnumerateArray().ToList();
            var stored = Assert.Single(await store.GetRecentAsync(result.GetProperty("sessionId").GetString()!, 10), t => t.Role == ConversationRole.Assistant);
            Assert.Equal(string.Concat(Words[..8]), stored.Content);
            Assert.Equal(2, result.GetProperty("opens").GetInt32());
            Assert.Equal("done", events[^1].GetProperty("event").GetString());
            Assert.Single(events, e => e.GetProperty("event").GetString() is "done" or "error");

            // Ids in order, each once; the one place one may be missing is where the first connection was cut: the library
            // took that event's id as it read the id line, and the blank line that ends the event never came. (The SSE
            // specification takes an id when its event is dispatched; with the id written first, any byte of an event
            // was such a place, and a cut there lost the event.)
            var ids = events.Select(e => int.Parse(e.GetProperty("id").GetString()!, CultureInfo.InvariantCulture)).ToList();
            var firstRetried = events.FindIndex(e => e.GetProperty("connection").GetInt32() == 2);
            var missing = Enumerable.Range(0, ids[^1] + 1).Except(ids).ToList();
            var tokens = events.Where(e => e.GetProperty("event").GetString() == "token")
                .Select(e => JsonDocument.Parse(e.GetProperty("data").GetString()!).RootElement.GetProperty("text").GetString()).ToList();
            if (missing.Count == 0)
            {
                Assert.True(string.Concat(tokens) == stored.Content, $"cut after {cut} bytes: delivered '{string.Concat(tokens)}'");
                continue;
            }

            var lost = Assert.Single(missing);
            Assert.True(firstRetried > 0 && ids[firstRetried] == lost + 1 && ids[firstRetried - 1] == lost - 1, $"cut after {cut} bytes: ids {string.Join(',', ids)}");
            Assert.Equal(Words[..8].Where((_, i) => i != lost - 1), tokens); // event n is the n-th token
            lostAfterAnIdLine.Add(cut);
        }

        // One byte per event can lose it (an event here is 40-odd bytes on the wire): a handful of the cuts, never more.
        var crossed = (cuts.Count / 40) + 2;
        Assert.True(lostAfterAnIdLine.Count <= crossed, $"lost an event at {lostAfterAnIdLine.Count} of {cuts.Count} cuts: {string.Join(", ", lostAfterAnIdLine)}");
    }

    /// <summary>An answer's response body as its bytes come off the wire (chunked), read over a plain socket.</summary>
    private static async Task<string> RawBodyAsync(Uri host)
    {
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(host.Host, host.Port);
        var stream = client.GetStream();
        var json = """{"query":"Count","chatbotId":"demo"}""";
        var request = $"POST /api/chat/query/stream HTTP/1.1\r\nHost: {host.Authority}\r\nContent-Type: application/json\r\nContent-Length: {json.Length}\r\nConnection: close\r\n\r\n{json}";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
        var response = await reader.ReadToEndAsync().WaitAsync(Patience);
        return response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
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
