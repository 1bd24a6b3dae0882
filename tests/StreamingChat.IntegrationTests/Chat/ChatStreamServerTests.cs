using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>
/// The sample host on Kestrel, answering from a fake OpenAI-compatible server through each of its streaming clients: the
/// host's own (<see cref="DirectClientChatStreamServerTests"/>) and the OpenAI SDK's (<see cref="SdkClientChatStreamServerTests"/>).
/// Both must pass every test here.
/// </summary>
public abstract class ChatStreamServerTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private FakeOpenAIServer _upstream = null!;

    /// <summary><c>StreamingChat:Model:OpenAI:StreamingClient</c>: <c>Direct</c> or <c>Sdk</c>.</summary>
    protected abstract string StreamingClient { get; }

    private Task<HostInstance> StartHostAsync(params string[] settings)
        => HostInstance.StartWithUpstreamAsync(_upstream, [$"--StreamingChat:Model:OpenAI:StreamingClient={StreamingClient}", .. settings]);

    public async Task InitializeAsync() => _upstream = await FakeOpenAIServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task Stream_RelaysEachTokenWhileTheUpstreamIsStillProducing()
    {
        using var gate = new SemaphoreSlim(0);
        var completion = _upstream.Enqueue(new FakeCompletion { Tokens = ["one", " two", " three", " four"], Gate = gate });
        await using var host = await StartHostAsync();
        using var response = await host.PostStreamAsync(new { query = "Count", chatbotId = "demo", sessionId = "s1" });
        var tokens = new List<string>();

        gate.Release(); // the upstream may send its first chunk; each later one only after the caller saw the one before
        await foreach (var e in SseTestClient.ReadEventsAsync(await response.Content.ReadAsStreamAsync()).WithCancellation(new CancellationTokenSource(Patience).Token))
        {
            if (e.Type != "token")
            {
                continue;
            }

            tokens.Add(e.Text!);
            Assert.Equal(tokens.Count, completion.Sent); // the upstream has not produced the next token yet
            gate.Release();
        }

        Assert.Equal(["one", " two", " three", " four"], tokens);
    }

    [Fact]
    public async Task Stream_Answer_HasTheContractsHeadersEventsAndUsage()
    {
        await using var host = await StartHostAsync();
        using var response = await host.PostStreamAsync(new { query = "Hello", chatbotId = "demo", sessionId = "s1", enableTTS = false });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.True(response.Headers.CacheControl!.NoCache);
        Assert.Equal("no", Assert.Single(response.Headers.GetValues("X-Accel-Buffering")));
        Assert.Equal("on", Assert.Single(response.Headers.GetValues("X-Streaming")));
        Assert.Null(response.Content.Headers.ContentEncoding.FirstOrDefault());

        var events = new List<ReceivedEvent>();
        await foreach (var e in SseTestClient.ReadEventsAsync(await response.Content.ReadAsStreamAsync()))
        {
            events.Add(e);
        }

        Assert.Equal(Enumerable.Range(0, events.Count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), events.Select(e => e.Id));
        Assert.Equal("start", events[0].Type);
        Assert.Equal("fake-model", events[0].Data.GetProperty("model").GetString());
        Assert.True(events[0].Data.GetProperty("streaming").GetBoolean());
        Assert.Equal("Hello from the fake!", string.Concat(events.Select(e => e.Text)));
        var done = events[^1];
        Assert.Equal("done", done.Type);
        Assert.Equal("stop", done.Data.GetProperty("finishReason").GetString());
        Assert.Equal(12, done.Data.GetProperty("usage").GetProperty("inputTokens").GetInt32());
        Assert.Equal(6, done.Data.GetProperty("usage").GetProperty("outputTokens").GetInt32());

        var request = Assert.Single(_upstream.Requests);
        Assert.Equal("Bearer test-key", request.Authorization);
        Assert.Equal([("system", "You are a helpful assistant. Answer briefly and clearly."), ("user", "Hello")], request.Messages);
    }

    [Fact]
    public async Task Stream_SecondQuestion_SendsTheFirstTurnUpstream()
    {
        await using var host = await StartHostAsync();

        await host.AskAsync("First?", sessionId: "conversation");
        await host.AskAsync("Second?", sessionId: "conversation");

        Assert.Equal(
            ["system", "user:First?", "assistant:Hello from the fake!", "user:Second?"],
            _upstream.Requests[^1].Messages.Select(m => m.Role == "system" ? "system" : $"{m.Role}:{m.Content}"));
    }

    [Fact]
    public async Task Stream_ChatbotWithItsOwnModel_AsksUpstreamForThatModel()
    {
        await using var host = await StartHostAsync("--StreamingChat:Chatbots:special:Model=special-model");

        var events = await host.AskAsync("Hi", chatbotId: "special");

        Assert.Equal("special-model", events[0].Data.GetProperty("model").GetString());
        Assert.Equal("special-model", _upstream.Requests[^1].Model);
        Assert.Equal("done", events[^1].Type);
    }

    [Theory]
    [InlineData(429, "upstream_rate_limited")]
    [InlineData(500, "upstream_unavailable")]
    [InlineData(503, "upstream_unavailable")]
    [InlineData(504, "upstream_timeout")]
    public async Task Stream_UpstreamRefuses_EndsWithOneErrorEventAndStoresFailed(int status, string code)
    {
        _upstream.Enqueue(new FakeCompletion { FailStatus = status });
        await using var host = await StartHostAsync();

        var events = await host.AskAsync("Hi");

        Assert.Equal(["start", "error"], events.Select(e => e.Type));
        Assert.Equal(code, events[1].Data.GetProperty("code").GetString());
        Assert.True(events[1].Data.GetProperty("retryable").GetBoolean());
        var stored = await host.Services.GetRequiredService<IConversationStore>().GetRecentAsync("s1", 10);
        Assert.Equal(MessageStatus.Failed, stored[^1].Status);
    }

    [Fact]
    public async Task Stream_Upstream429ThenSuccess_IsRetriedBeforeTheFirstToken()
    {
        _upstream.Enqueue(new FakeCompletion { FailStatus = 429, RetryAfter = "0" });
        await using var host = await StartHostAsync("--StreamingChat:Model:OpenAI:MaxRetries=2");

        var events = await host.AskAsync("Hi");

        Assert.Equal("done", events[^1].Type);
        Assert.Equal("Hello from the fake!", string.Concat(events.Select(e => e.Text)));
        Assert.Equal(2, _upstream.Requests.Count);
        // The retry resends the body the first try sent.
        Assert.Equal(_upstream.Requests[0].Body.ToJsonString(), _upstream.Requests[1].Body.ToJsonString());
        Assert.Equal(("user", "Hi"), _upstream.Requests[1].Messages[^1]);
    }

    [Fact]
    public async Task Stream_UpstreamCutMidStream_SendsTheTokensThenAnErrorAndStoresThemAsFailed()
    {
        using var gate = new SemaphoreSlim(0);
        _upstream.Enqueue(new FakeCompletion { AbortAfterTokens = 2, Gate = gate });
        await using var host = await StartHostAsync("--StreamingChat:Model:OpenAI:MaxRetries=2");
        using var response = await host.PostStreamAsync(new { query = "Hi", chatbotId = "demo", sessionId = "s1" });
        var events = new List<ReceivedEvent>();

        gate.Release(); // the first chunk; each later step (the second chunk, then the cut) only after the caller saw a token
        await foreach (var e in SseTestClient.ReadEventsAsync(await response.Content.ReadAsStreamAsync()).WithCancellation(new CancellationTokenSource(Patience).Token))
        {
            events.Add(e);
            if (e.Type == "token")
            {
                gate.Release();
            }
        }

        Assert.Equal(["start", "token", "token", "error"], events.Select(e => e.Type));
        Assert.Equal("upstream_unavailable", events[^1].Data.GetProperty("code").GetString());
        Assert.Single(_upstream.Requests); // never retried once a token was sent
        var stored = await host.Services.GetRequiredService<IConversationStore>().GetRecentAsync("s1", 10);
        Assert.Equal((MessageStatus.Failed, "Hello"), (stored[^1].Status, stored[^1].Content));
    }

    [Fact]
    public async Task Stream_SilentUpstream_SendsHeartbeatCommentsWithoutBlankLines()
    {
        _upstream.Enqueue(new FakeCompletion { FirstTokenDelay = TimeSpan.FromMilliseconds(1200) });
        await using var host = await StartHostAsync("--StreamingChat:Chat:HeartbeatSeconds=0.25");
        using var response = await host.PostStreamAsync(new { query = "Hi", chatbotId = "demo", sessionId = "s1" });

        var raw = await response.Content.ReadAsStringAsync();

        Assert.Contains("\n\n: keep-alive\n", raw, StringComparison.Ordinal);
        Assert.DoesNotContain(": keep-alive\n\n", raw, StringComparison.Ordinal);
        Assert.StartsWith("retry: 3000\nevent: start\n", raw, StringComparison.Ordinal);
        var blocks = raw.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(blocks, b => Assert.Contains("\ndata: {", "\n" + b, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Query_Json_ReturnsTheWholeAnswer()
    {
        await using var host = await StartHostAsync();

        using var response = await host.Client.PostAsJsonAsync("/api/chat/query", new { query = "Hello", chatbotId = "demo", sessionId = "s1" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal("Hello from the fake!", body.GetProperty("answer").GetString());
        Assert.Equal("stop", body.GetProperty("finishReason").GetString());
        Assert.Equal(("s1", "demo"), (body.GetProperty("sessionId").GetString(), body.GetProperty("chatbotId").GetString()));
        Assert.Equal(6, body.GetProperty("usage").GetProperty("outputTokens").GetInt32());
        Assert.True(body.GetProperty("totalMs").GetInt64() >= 0);
        Assert.NotEmpty(body.GetProperty("messageId").GetString()!);
    }

    [Fact]
    public async Task Query_UpstreamFails_IsAProblemWithTheErrorCode()
    {
        _upstream.Enqueue(new FakeCompletion { FailStatus = 500 });
        await using var host = await StartHostAsync();

        using var response = await host.Client.PostAsJsonAsync("/api/chat/query", new { query = "Hello", chatbotId = "demo", sessionId = "s1" });

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal("upstream_unavailable", body.GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("length", "length")]
    [InlineData("content_filter", "content_filter")]
    public async Task Stream_FinishReason_IsTheUpstreamsOwn(string upstreamReason, string finishReason)
    {
        _upstream.Enqueue(new FakeCompletion { FinishReason = upstreamReason });
        await using var host = await StartHostAsync();

        var events = await host.AskAsync("Hi");

        Assert.Equal("done", events[^1].Type);
        Assert.Equal(finishReason, events[^1].Data.GetProperty("finishReason").GetString());
        Assert.Equal("Hello from the fake!", string.Concat(events.Select(e => e.Text)));
    }

    [Fact]
    public async Task Stream_CallerGone_ClosesTheUpstreamConnection()
    {
        using var gate = new SemaphoreSlim(0);
        var completion = _upstream.Enqueue(new FakeCompletion { Tokens = [.. Enumerable.Repeat("x", 50)], Gate = gate });
        await using var host = await StartHostAsync("--StreamingChat:Chat:DisconnectGraceSeconds=0");
        using (var response = await host.PostStreamAsync(new { query = "Talk", chatbotId = "demo", sessionId = "leaver" }))
        {
            gate.Release();
            await foreach (var e in SseTestClient.ReadEventsAsync(await response.Content.ReadAsStreamAsync()).WithCancellation(new CancellationTokenSource(Patience).Token))
            {
                if (e.Type == "token")
                {
                    break;
                }
            }
        }

        await completion.ConnectionClosed.Task.WaitAsync(Patience);
        Assert.True(completion.Sent < 50);
    }

    [Fact]
    public async Task Stream_ChatbotSettings_AreSentUpstream()
    {
        await using var host = await StartHostAsync("--StreamingChat:Chatbots:tuned:Temperature=0.25", "--StreamingChat:Chatbots:tuned:MaxOutputTokens=64");

        var events = await host.AskAsync("Hi", chatbotId: "tuned");

        Assert.Equal("done", events[^1].Type);
        var body = _upstream.Requests[^1].Body;
        Assert.Equal(0.25, body["temperature"]!.GetValue<double>());
        Assert.Equal(64, body["max_completion_tokens"]!.GetValue<int>());
        Assert.True(body["stream"]!.GetValue<bool>());
        Assert.True(body["stream_options"]!["include_usage"]!.GetValue<bool>());
    }
}

/// <summary>Every chat stream test through Core's OpenAI-compatible streaming client (the host's default).</summary>
public sealed class DirectClientChatStreamServerTests : ChatStreamServerTests
{
    protected override string StreamingClient => "Direct";
}

/// <summary>Every chat stream test through the OpenAI SDK's client (<c>StreamingClient=Sdk</c>).</summary>
public sealed class SdkClientChatStreamServerTests : ChatStreamServerTests
{
    protected override string StreamingClient => "Sdk";
}
