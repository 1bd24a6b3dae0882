// Over 300 lines: the resume cases share one host (started once for the class), so they live in one class.
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>Answers that outlive their connection, against the running host and the real OpenAI client: resume, stop, the grace time.</summary>
public sealed class AnswerResumeServerTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private FakeOpenAIServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeOpenAIServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    private static FakeCompletion Paced(int tokens, int intervalMs = 30)
        => new() { Tokens = [.. Enumerable.Range(0, tokens).Select(i => $" w{i}")], TokenInterval = TimeSpan.FromMilliseconds(intervalMs) };

    /// <summary>Reads events until <paramref name="stopAfter"/> says so or the stream ends; the response is then dropped.</summary>
    private static Task<List<ReceivedEvent>> ReadAsync(HttpResponseMessage response, Func<ReceivedEvent, bool>? stopAfter = null)
        => SseTestClient.ReadResponseAsync(response, Patience, stopAfter);

    private static string Text(IEnumerable<ReceivedEvent> events) => string.Concat(events.Select(e => e.Text));

    private static Task<HttpResponseMessage> ResumeAsync(HostInstance host, string messageId, string sessionId, long? lastEventId, string? query = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/chat/answers/{messageId}/stream{query}");
        if (host.SessionKeys.TryGetValue(sessionId, out var key))
        {
            request.Headers.Add("X-Session-Key", key);
        }

        if (lastEventId is { } id)
        {
            request.Headers.Add("Last-Event-ID", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return host.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private static async Task<ConversationMessage> StoredAnswerAsync(HostInstance host, string messageId)
    {
        var store = host.Services.GetRequiredService<IConversationStore>();
        for (var i = 0; i < 200; i++)
        {
            if (await store.GetMessageAsync(messageId) is { } turn)
            {
                return turn;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"The answer {messageId} was never stored.");
    }

    [Fact]
    public async Task CutAfterEventK_ResumeWithLastEventId_GivesTheRestExactlyOnce_AndTheTextIsTheStoredAnswer()
    {
        _upstream.Default = Paced(30);
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream);
        using var first = await host.PostStreamAsync(new { query = "Count", chatbotId = "demo", sessionId = "cut" });
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var location = first.Headers.Location!.ToString();
        var before = await ReadAsync(first, e => e.Id == "5");
        first.Dispose();
        var messageId = before[0].Data.GetProperty("messageId").GetString()!;
        Assert.StartsWith($"/api/chat/answers/{messageId}/stream?resumeToken=", location, StringComparison.Ordinal);

        using var resumed = await ResumeAsync(host, messageId, "cut", lastEventId: 5);
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        Assert.Equal("text/event-stream", resumed.Content.Headers.ContentType?.MediaType);
        var after = await ReadAsync(resumed);

        Assert.Equal(Enumerable.Range(6, after.Count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), after.Select(e => e.Id));
        Assert.Single(after, e => e.Type is "done" or "error");
        Assert.Equal("done", after[^1].Type);
        var stored = await StoredAnswerAsync(host, messageId);
        Assert.Equal((MessageStatus.Complete, stored.Content), (stored.Status, Text(before) + Text(after)));
        Assert.Equal(string.Concat(Enumerable.Range(0, 30).Select(i => $" w{i}")), stored.Content);

        // Once the caller has the terminal event there is nothing more: 204.
        using var again = await ResumeAsync(host, messageId, "cut", lastEventId: long.Parse(after[^1].Id!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);

        // The Location URL alone (no session key, the position in the query) reads it too, as a browser's EventSource would.
        using var byToken = await host.Client.GetAsync(location + "&lastEventId=29", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, byToken.StatusCode);
        Assert.Equal(["30", "31"], (await ReadAsync(byToken)).Select(e => e.Id));

        // Read from the start by token, the answer's start event does not hand out the session's key: the token reads
        // the answer, not the session. The first response gave it to its owner.
        Assert.True(before[0].Data.TryGetProperty("sessionKey", out _));
        using var fromStart = await host.Client.GetAsync(location, HttpCompletionOption.ResponseHeadersRead);
        var replayed = await ReadAsync(fromStart);
        Assert.Equal("start", replayed[0].Type);
        Assert.False(replayed[0].Data.TryGetProperty("sessionKey", out _));
        Assert.Single(_upstream.Requests); // asked once, read three times

        // A resumed stream is not a new request: one stream, one first-token latency.
        var details = await host.Client.GetFromJsonAsync<JsonElement>("/api/metrics/streaming");
        Assert.Equal((1, 1), (details.GetProperty("totals").GetProperty("requests").GetInt32(), details.GetProperty("totals").GetProperty("succeeded").GetInt32()));
    }

    [Fact]
    public async Task Stop_AnswersAfterTheStoreShowsStopped_WithExactlyTheTextTheReaderGot()
    {
        _upstream.Default = Paced(400, 25);
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream);
        using var response = await host.PostStreamAsync(new { query = "Talk", chatbotId = "demo", sessionId = "stopper" });
        var reading = Task.Run(() => ReadAsync(response));
        var messageId = await AnswerIdAsync(host, "stopper");
        await Task.Delay(300);

        using var stop = await StopAsync(host, messageId, "stopper");
        var stored = await host.Services.GetRequiredService<IConversationStore>().GetMessageAsync(messageId);
        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        var body = await stop.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(MessageStatus.Stopped, stored!.Status);
        Assert.Equal(("stopped", stored.Content), (body.GetProperty("status").GetString(), body.GetProperty("answer").GetString()));

        var events = await reading.WaitAsync(Patience);
        Assert.Equal("done", events[^1].Type);
        Assert.Equal("stopped", events[^1].Data.GetProperty("finishReason").GetString());
        Assert.Equal(stored.Content, Text(events));
        Assert.Equal(long.Parse(events[^1].Id!, System.Globalization.CultureInfo.InvariantCulture), body.GetProperty("lastEventId").GetInt64());
        Assert.True(stored.Content.Length > 0);

        // A second stop answers the same; a question right after sees the stopped turn in its prompt.
        using var second = await StopAsync(host, messageId, "stopper");
        Assert.Equal(body.ToString(), (await second.Content.ReadFromJsonAsync<JsonElement>()).ToString());
        _upstream.Default = new FakeCompletion();
        using var next = await host.PostStreamAsync(new { query = "And then?", chatbotId = "demo", sessionId = "stopper" });
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        await ReadAsync(next);
        Assert.Contains(("assistant", stored.Content), _upstream.Requests[^1].Messages);

        using var described = await GetAnswerAsync(host, messageId, "stopper");
        var answer = await described.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("stopped", "stopper", "demo"), (answer.GetProperty("status").GetString(), answer.GetProperty("sessionId").GetString(), answer.GetProperty("chatbotId").GetString()));
    }

    [Fact]
    public async Task CallerComesBackWithinTheGrace_GetsTheWholeAnswer()
    {
        _upstream.Default = Paced(40, 40);
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream, "--StreamingChat:Chat:DisconnectGraceSeconds=5");
        List<ReceivedEvent> before;
        using (var response = await host.PostStreamAsync(new { query = "Long", chatbotId = "demo", sessionId = "returner" }))
        {
            before = await ReadAsync(response, e => e.Id == "3");
        }

        await Task.Delay(1000); // away for a second, tokens still coming
        var messageId = before[0].Data.GetProperty("messageId").GetString()!;
        using var resumed = await ResumeAsync(host, messageId, "returner", lastEventId: 3);
        var after = await ReadAsync(resumed);

        Assert.Equal("done", after[^1].Type);
        var stored = await StoredAnswerAsync(host, messageId);
        Assert.Equal((MessageStatus.Complete, stored.Content), (stored.Status, Text(before) + Text(after)));
    }

    [Fact]
    public async Task CallerWhoDoesNotComeBack_ClosesTheModelConnection_AndTheAnswerIsStoredInterrupted()
    {
        var completion = _upstream.Enqueue(Paced(500, 20));
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream, "--StreamingChat:Chat:DisconnectGraceSeconds=1");
        List<ReceivedEvent> received;
        using (var response = await host.PostStreamAsync(new { query = "Talk", chatbotId = "demo", sessionId = "leaver" }))
        {
            received = await ReadAsync(response, e => e.Id == "3");
        }

        await completion.ConnectionClosed.Task.WaitAsync(Patience);
        Assert.True(completion.Sent < 500);
        var stored = await StoredAnswerAsync(host, received[0].Data.GetProperty("messageId").GetString()!);
        Assert.Equal(MessageStatus.Interrupted, stored.Status);
        Assert.StartsWith(Text(received), stored.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecondQuestionWhileRunning_Is409_AndARetryWithLastEventIdAttaches()
    {
        _upstream.Default = Paced(30, 40);
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream);
        using var first = await host.PostStreamAsync(new { query = "Hold on", chatbotId = "demo", sessionId = "busy" });
        var before = await ReadAsync(first, e => e.Id == "2");
        var messageId = before[0].Data.GetProperty("messageId").GetString()!;

        using var other = await host.PostStreamAsync(new { query = "Something else", chatbotId = "demo", sessionId = "busy" });
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        var problem = await other.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("answer_in_progress", messageId), (problem.GetProperty("code").GetString(), problem.GetProperty("messageId").GetString()));

        using var session = await host.Client.SendAsync(WithKey(host, HttpMethod.Get, "/api/chat/sessions/busy", "busy"));
        Assert.Equal(messageId, (await session.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("activeMessageId").GetString());

        using var retry = await host.PostChatAsync("/api/chat/query/stream", new { query = "Hold on", chatbotId = "demo", sessionId = "busy" }, r => r.Headers.Add("Last-Event-ID", "2"));
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        var after = await ReadAsync(retry);
        Assert.Equal("3", after[0].Id);
        Assert.Equal("done", after[^1].Type);
        Assert.Single(_upstream.Requests);
        var stored = await StoredAnswerAsync(host, messageId);
        Assert.Equal(stored.Content, Text(before) + Text(after));
    }

    [Fact]
    public async Task AnotherCallersAnswer_IsTheSame404AsAnUnknownOne_OnEveryAnswerEndpoint()
    {
        _upstream.Default = Paced(20, 30);
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream);
        using var mine = await host.PostStreamAsync(new { query = "Mine", chatbotId = "demo", sessionId = "owned" });
        var events = await ReadAsync(mine, e => e.Id == "1");
        var messageId = events[0].Data.GetProperty("messageId").GetString()!;

        // Another caller: no key for the session, then a key for a session of its own.
        var stranger = new HttpClient { BaseAddress = host.Address };
        using var own = await stranger.PostAsJsonAsync("/api/chat/sessions", new { sessionId = "strangers" });
        var strangerKey = (await own.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("sessionKey").GetString()!;
        foreach (var key in new string?[] { null, strangerKey })
        {
            foreach (var (method, path) in new[] { (HttpMethod.Get, "/stream"), (HttpMethod.Post, "/stop"), (HttpMethod.Get, "") })
            {
                var theirs = await SendAsync(stranger, method, $"/api/chat/answers/{messageId}{path}", key);
                var unknown = await SendAsync(stranger, method, $"/api/chat/answers/0199aaaabbbbccccddddeeeeffff0000{path}", key);
                Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (theirs.Status, unknown.Status));
                Assert.Equal(unknown.Body, theirs.Body);
                Assert.Contains("\"answer_not_found\"", theirs.Body, StringComparison.Ordinal);
            }
        }

        // A resume token reads only its own answer, and never stops it.
        var location = mine.Headers.Location!.OriginalString;
        var token = location[location.IndexOf('?', StringComparison.Ordinal)..];
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(stranger, HttpMethod.Post, $"/api/chat/answers/{messageId}/stop{token}", null)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(stranger, HttpMethod.Get, $"/api/chat/answers/0199aaaabbbbccccddddeeeeffff0000/stream{token}", null)).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(stranger, HttpMethod.Get, $"/api/chat/answers/{messageId}{token}", null)).Status);
    }

    [Fact]
    public async Task ExpiredLog_ReplaysTheStoredTurn_AndTheJsonEndpointUsesTheSameAnswers()
    {
        _upstream.Default = new FakeCompletion { Tokens = ["Kept", " for", " later."] };
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream, "--StreamingChat:Answers:RetentionSeconds=1");
        using var response = await host.PostStreamAsync(new { query = "Keep", chatbotId = "demo", sessionId = "kept" });
        var events = await ReadAsync(response);
        var messageId = events[0].Data.GetProperty("messageId").GetString()!;
        await Task.Delay(1300);

        using var replay = await ResumeAsync(host, messageId, "kept", lastEventId: null);
        var replayed = await ReadAsync(replay);
        Assert.Equal(["start", "token", "done"], replayed.Select(e => e.Type));
        Assert.Equal(("Kept for later.", "stop"), (Text(replayed), replayed[^1].Data.GetProperty("finishReason").GetString()));

        // The resume token lasts as long as the log: the stored turn is its owner's alone.
        using var byToken = await host.Client.GetAsync(response.Headers.Location, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.NotFound, byToken.StatusCode);

        using var json = await host.PostChatAsync("/api/chat/query", new { query = "Again", chatbotId = "demo", sessionId = "kept" });
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        var body = await json.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Kept for later.", body.GetProperty("answer").GetString());
        using var described = await GetAnswerAsync(host, body.GetProperty("messageId").GetString()!, "kept");
        Assert.Equal("complete", (await described.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task DeletingTheSession_StopsItsRunningAnswerFirst()
    {
        _upstream.Default = Paced(400, 25);
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream);
        using var response = await host.PostStreamAsync(new { query = "Talk", chatbotId = "demo", sessionId = "erased" });
        var reading = Task.Run(() => ReadAsync(response));
        var messageId = await AnswerIdAsync(host, "erased");

        using var deleted = await host.Client.SendAsync(WithKey(host, HttpMethod.Delete, "/api/chat/sessions/erased", "erased"));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);

        var events = await reading.WaitAsync(Patience);
        Assert.Equal("stopped", events[^1].Data.GetProperty("finishReason").GetString());
        await Task.Delay(200);
        Assert.Null(await host.Services.GetRequiredService<IConversationStore>().GetMessageAsync(messageId));
    }

    /// <summary>The session's running answer, once the host has started it.</summary>
    private static async Task<string> AnswerIdAsync(HostInstance host, string sessionId)
    {
        var answers = host.Services.GetRequiredService<IAnswers>();
        for (var i = 0; i < 200; i++)
        {
            if (await answers.GetLatestAsync(sessionId) is { IsRunning: true } running)
            {
                return running.Info.MessageId;
            }

            await Task.Delay(25);
        }

        throw new TimeoutException("No answer started.");
    }

    private static HttpRequestMessage WithKey(HostInstance host, HttpMethod method, string path, string sessionId)
    {
        var request = new HttpRequestMessage(method, path);
        if (host.SessionKeys.TryGetValue(sessionId, out var key))
        {
            request.Headers.Add("X-Session-Key", key);
        }

        return request;
    }

    private static Task<HttpResponseMessage> StopAsync(HostInstance host, string messageId, string sessionId)
        => host.Client.SendAsync(WithKey(host, HttpMethod.Post, $"/api/chat/answers/{messageId}/stop", sessionId));

    private static Task<HttpResponseMessage> GetAnswerAsync(HostInstance host, string messageId, string sessionId)
        => host.Client.SendAsync(WithKey(host, HttpMethod.Get, $"/api/chat/answers/{messageId}", sessionId));

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient client, HttpMethod method, string path, string? key)
    {
        using var request = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            request.Headers.Add("X-Session-Key", key);
        }

        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (body.Length > 0 && System.Text.Json.Nodes.JsonNode.Parse(body) is System.Text.Json.Nodes.JsonObject json)
        {
            json.Remove("traceId"); // differs per request
            body = json.ToJsonString();
        }

        return (response.StatusCode, body);
    }
}
