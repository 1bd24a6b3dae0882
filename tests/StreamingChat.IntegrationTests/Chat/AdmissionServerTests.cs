using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>Rate limits per client and per session, the bound on answers running at once, and the upstream's rate limits in the log.</summary>
public sealed class AdmissionServerTests : IAsyncLifetime
{
    private FakeOpenAIServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeOpenAIServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    private static async Task<(HttpStatusCode Status, string? Code, TimeSpan? RetryAfter)> AskAsync(HostInstance host, string sessionId, string path = "/api/chat/query/stream")
    {
        using var response = await host.PostChatAsync(path, new { query = "Hi", chatbotId = "demo", sessionId });
        var body = await response.Content.ReadAsStringAsync();
        var code = response.Content.Headers.ContentType?.MediaType == "application/problem+json" ? JsonDocument.Parse(body).RootElement.GetProperty("code").GetString() : null;
        return (response.StatusCode, code, response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task PerClientLimit_PastIt_Is429RateLimitedWithRetryAfter_OnBothEndpoints()
    {
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream, "--StreamingChat:RateLimiting:PermitsPerMinutePerClient=3", "--StreamingChat:RateLimiting:PermitsPerMinutePerSession=0");

        var answers = new List<(HttpStatusCode Status, string? Code, TimeSpan? RetryAfter)>();
        for (var i = 0; i < 3; i++)
        {
            answers.Add(await AskAsync(host, $"s{i}"));
        }

        var refused = await AskAsync(host, "s9");
        var refusedJson = await AskAsync(host, "s9", "/api/chat/query");

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Equal((HttpStatusCode.TooManyRequests, "rate_limited"), (refused.Status, refused.Code));
        Assert.NotNull(refused.RetryAfter);
        Assert.InRange(refused.RetryAfter!.Value.TotalSeconds, 1, 60);
        Assert.Equal((HttpStatusCode.TooManyRequests, "rate_limited"), (refusedJson.Status, refusedJson.Code));
    }

    [Fact]
    public async Task TokenBudget_OnceSpent_Is429QuotaExceededWithRetryAfter_ForThatCallerOnly()
    {
        // The fake upstream reports 6 output tokens an answer: two answers spend a budget of 10.
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream, "--StreamingChat:RateLimiting:TokenBudgetPerCaller=10", "--StreamingChat:RateLimiting:PermitsPerMinutePerClient=0");

        var first = await AskAsync(host, "t1");
        var second = await AskAsync(host, "t2");
        var spent = await AskAsync(host, "t3");
        var spentJson = await AskAsync(host, "t3", "/api/chat/query");
        using var other = await host.PostChatAsync("/api/chat/query", new { query = "Hi", chatbotId = "demo", sessionId = "t4" }, r => r.Headers.Add("X-Forwarded-For", "203.0.113.9"));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.Status, second.Status));
        Assert.Equal((HttpStatusCode.TooManyRequests, "quota_exceeded"), (spent.Status, spent.Code));
        Assert.InRange(spent.RetryAfter!.Value.TotalSeconds, 1, 3600);
        Assert.Equal((HttpStatusCode.TooManyRequests, "quota_exceeded"), (spentJson.Status, spentJson.Code));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task PerSessionLimit_RefusesThatSessionOnly()
    {
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream, "--StreamingChat:RateLimiting:PermitsPerMinutePerClient=0", "--StreamingChat:RateLimiting:PermitsPerMinutePerSession=2");

        Assert.Equal(HttpStatusCode.OK, (await AskAsync(host, "chatty")).Status);
        Assert.Equal(HttpStatusCode.OK, (await AskAsync(host, "chatty")).Status);
        var third = await AskAsync(host, "chatty");
        var other = await AskAsync(host, "quiet");

        Assert.Equal((HttpStatusCode.TooManyRequests, "rate_limited"), (third.Status, third.Code));
        Assert.NotNull(third.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, other.Status);
    }

    [Fact]
    public async Task AnswersAtOnce_PastTheBoundAndQueue_Is503Overloaded_AndASlotFreedIsUsedAgain()
    {
        using var gate = new SemaphoreSlim(0);
        var held = _upstream.Enqueue(new FakeCompletion { Tokens = ["slow"], Gate = gate });
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream,
            "--StreamingChat:RateLimiting:MaxConcurrentAnswers=1", "--StreamingChat:RateLimiting:MaxQueuedAnswers=1", "--StreamingChat:RateLimiting:QueueTimeoutSeconds=0.5");
        using var first = await host.PostStreamAsync(new { query = "Hold", chatbotId = "demo", sessionId = "a" });
        await held.Received.Task.WaitAsync(TimeSpan.FromSeconds(20));

        // One waits in the queue (and gives up after its wait); one more finds the queue full at once.
        var queued = AskAsync(host, "b");
        await Task.Delay(100);
        var full = await AskAsync(host, "c");
        var timedOut = await queued;

        Assert.Equal((HttpStatusCode.ServiceUnavailable, "overloaded"), (full.Status, full.Code));
        Assert.NotNull(full.RetryAfter);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "overloaded"), (timedOut.Status, timedOut.Code));

        gate.Release();
        await first.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, (await AskAsync(host, "d")).Status);
    }

    [Fact]
    public async Task UpstreamRateLimit_IsRetriedHonouringRetryAfter_AndLoggedForGrep()
    {
        _upstream.Enqueue(new FakeCompletion { FailStatus = 429, RetryAfter = "1" });
        await using var host = await HostProcess.StartAsync(
            "--StreamingChat:Model:Provider=OpenAI", "--StreamingChat:Model:OpenAI:ApiKey=test-key",
            $"--StreamingChat:Model:OpenAI:Endpoint={_upstream.Endpoint}", "--StreamingChat:Model:OpenAI:Model=fake-model", "--StreamingChat:Model:OpenAI:MaxRetries=2");
        using var client = new HttpClient { BaseAddress = host.Address };
        var started = DateTime.UtcNow;

        using var response = await client.PostAsJsonAsync("/api/chat/query", new { query = "Hi", chatbotId = "demo", sessionId = "s1" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(0.9), "the retry waited for Retry-After");
        Assert.Equal(2, _upstream.Requests.Count);
        await host.TerminateAsync();
        Assert.Contains("rate limit", host.Output, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Retry-After: 1", host.Output, StringComparison.Ordinal);
    }
}
