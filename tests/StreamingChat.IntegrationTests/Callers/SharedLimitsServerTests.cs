using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>Two host instances on one real Redis: one limit per caller for both, one key ring, and limits kept in each process while Redis is away.</summary>
public sealed class SharedLimitsServerTests : IAsyncLifetime
{
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
        => HostInstance.StartWithUpstreamAsync(_upstream, [$"--REDIS_URL=redis://127.0.0.1:{_redis.Port}", "--StreamingChat:RateLimiting:PermitsPerMinutePerSession=0", .. settings]);

    /// <summary>Asks as the client at <paramref name="address"/>, forwarded by a loopback proxy (the host trusts X-Forwarded-For from loopback).</summary>
    private static async Task<(HttpStatusCode Status, string? Code, HttpResponseMessage Response)> AskAsync(HostInstance host, string address, string sessionId, bool keepOpen = false)
    {
        var response = await host.PostChatAsync("/api/chat/query/stream", new { query = "Hi", chatbotId = "demo", sessionId }, r => r.Headers.Add("X-Forwarded-For", address));
        string? code = null;
        if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
        {
            code = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString();
        }
        else if (!keepOpen)
        {
            await response.Content.ReadAsStringAsync();
        }

        return (response.StatusCode, code, response);
    }

    [Fact]
    public async Task QuestionsPerMinute_AreOneLimitOverBothInstances_AndAnIPv6Slash64IsOneCaller()
    {
        string[] limit = ["--StreamingChat:RateLimiting:PermitsPerMinutePerClient=4"];
        await using var a = await StartAsync(limit);
        await using var b = await StartAsync(limit);

        var answered = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            answered.Add((await AskAsync(i % 2 == 0 ? a : b, "2001:db8::1", $"v6-{i}")).Status);
        }

        var sameSlash64 = await AskAsync(a, "2001:db8::2", "v6-next");
        var sameOnB = await AskAsync(b, "2001:db8::1", "v6-last");
        var otherCaller = await AskAsync(b, "2001:db8:0:1::1", "v6-other");

        Assert.All(answered, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal((HttpStatusCode.TooManyRequests, "rate_limited"), (sameSlash64.Status, sameSlash64.Code));
        Assert.NotNull(sameSlash64.Response.Headers.RetryAfter);
        Assert.Equal((HttpStatusCode.TooManyRequests, "rate_limited"), (sameOnB.Status, sameOnB.Code));
        Assert.Equal(HttpStatusCode.OK, otherCaller.Status);
    }

    [Fact]
    public async Task RunningAnswers_ACallerAtTheMaximumGets429OnTheOtherInstance_WhileAnotherCallerIsServed()
    {
        string[] limit = ["--StreamingChat:RateLimiting:MaxConcurrentAnswersPerAddress=1"];
        await using var a = await StartAsync(limit);
        await using var b = await StartAsync(limit);
        using var gate = new SemaphoreSlim(0);
        var held = _upstream.Enqueue(new FakeCompletion { Tokens = ["slow"], Gate = gate });

        var running = await AskAsync(a, "203.0.113.5", "busy-1", keepOpen: true);
        await held.Received.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var second = await AskAsync(b, "203.0.113.5", "busy-2");
        var another = await AskAsync(b, "203.0.113.6", "calm-1");
        gate.Release();
        await running.Response.Content.ReadAsStringAsync();
        running.Response.Dispose();
        var afterwards = await AskAsync(b, "203.0.113.5", "busy-3");

        Assert.Equal(HttpStatusCode.OK, running.Status);
        Assert.Equal((HttpStatusCode.TooManyRequests, "rate_limited"), (second.Status, second.Code));
        Assert.NotNull(second.Response.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, another.Status);
        Assert.Equal(HttpStatusCode.OK, afterwards.Status);
    }

    [Fact]
    public async Task RunningAnswers_LongerThanAPermitLivesUnrenewed_StillHoldTheirPlaces_UntilTheyEnd()
    {
        // A place lives 3 s unrenewed; the answer runs over a minute (the old permits lapsed at 60 s whatever ran).
        string[] limit = ["--StreamingChat:RateLimiting:MaxConcurrentAnswersPerAddress=1", "--StreamingChat:Answers:LeaseSeconds=3"];
        await using var a = await StartAsync(limit);
        await using var b = await StartAsync(limit);
        using var gate = new SemaphoreSlim(0);
        var held = _upstream.Enqueue(new FakeCompletion { Tokens = [.. Enumerable.Range(0, 70).Select(i => $" w{i}")], Gate = gate });

        var running = await AskAsync(a, "203.0.113.9", "long-1", keepOpen: true);
        await held.Received.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var refused = new List<HttpStatusCode>();
        for (var second = 0; second < 62; second++)
        {
            gate.Release(); // a token a second keeps the answer running, and read
            await Task.Delay(1000);
            if (second % 20 == 19)
            {
                refused.Add((await AskAsync(second % 40 == 19 ? b : a, "203.0.113.9", $"long-{second}")).Status);
            }
        }

        gate.Release(100);
        await running.Response.Content.ReadAsStringAsync();
        running.Response.Dispose();
        var afterwards = await AskAsync(b, "203.0.113.9", "long-after");

        Assert.Equal(HttpStatusCode.OK, running.Status);
        Assert.Equal([HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], refused);
        Assert.Equal(HttpStatusCode.OK, afterwards.Status);
    }

    [Fact]
    public async Task Readers_ACallerAndAResumeToken_HoldAFewStreamsEach_OverBothInstances_AndFreeThemWhenTheyClose()
    {
        string[] limit = ["--StreamingChat:RateLimiting:MaxReadersPerCaller=5", "--StreamingChat:RateLimiting:MaxReadersPerResumeToken=3"];
        await using var a = await StartAsync(limit);
        await using var b = await StartAsync(limit);
        using var gate = new SemaphoreSlim(0);
        var held = _upstream.Enqueue(new FakeCompletion { Tokens = ["slow"], Gate = gate });
        var running = await a.PostChatAsync("/api/chat/query/stream", new { query = "Hi", chatbotId = "demo", sessionId = "read-1" });
        await held.Received.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var location = running.Headers.Location!.OriginalString;
        var messageId = location.Split('/')[4];

        // Through the Location URL (its resume token), on either instance: three readers, then 429.
        var byToken = new List<HttpResponseMessage>();
        for (var i = 0; i < 5; i++)
        {
            byToken.Add(await (i % 2 == 0 ? a : b).Client.GetAsync(location, HttpCompletionOption.ResponseHeadersRead));
        }

        // As the session's owner, without the token: the caller's five in all, then 429.
        var byOwner = new List<HttpResponseMessage>();
        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/chat/answers/{messageId}/stream");
            request.Headers.Add("X-Session-Key", a.SessionKeys["read-1"]);
            byOwner.Add(await b.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead));
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], byToken.Select(r => r.StatusCode));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], byOwner.Select(r => r.StatusCode));
        var refusal = await byOwner[^1].Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("rate_limited", refusal.GetProperty("code").GetString());
        Assert.NotNull(byOwner[^1].Headers.RetryAfter);

        // Readers that leave free their places.
        foreach (var response in byToken.Concat(byOwner))
        {
            response.Dispose();
        }

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            using var retried = await a.Client.GetAsync(location, HttpCompletionOption.ResponseHeadersRead);
            if (retried.StatusCode == HttpStatusCode.OK)
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "the readers' places were not freed");
            await Task.Delay(200);
        }

        gate.Release(10);
        running.Dispose();
    }

    [Fact]
    public async Task WrongAdminKeys_AreCountedOverBothInstances_ThenTheAddressIsRefusedEvenWithTheRightKey()
    {
        const string AdminKey = "5d2b8f1e7a4c9e3b6f0a2d8c4e1b7f5a";
        string[] settings = [$"--StreamingChat:Admin:ApiKeys:0={AdminKey}", "--StreamingChat:Admin:MaxFailedAttemptsPerMinute=4"];
        await using var a = await StartAsync(settings);
        await using var b = await StartAsync(settings);

        async Task<HttpStatusCode> FlagsAsync(HostInstance host, string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/metrics/feature-flags/rollout") { Content = JsonContent.Create(new { feature = "streaming", percentage = 100 }) };
            request.Headers.Add("X-Admin-Key", key);
            request.Headers.Add("X-Forwarded-For", "192.0.2.44");
            using var response = await host.Client.SendAsync(request);
            return response.StatusCode;
        }

        var wrong = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            wrong.Add(await FlagsAsync(i % 2 == 0 ? a : b, "0123456789abcdef0123456789abcdef"));
        }

        Assert.All(wrong, s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, await FlagsAsync(a, AdminKey));
        Assert.Equal(HttpStatusCode.TooManyRequests, await FlagsAsync(b, AdminKey));
    }

    [Fact]
    public async Task ASessionKeyIssuedByOneInstance_IsAcceptedByTheOther_ThroughTheKeyRingInRedis()
    {
        await using var a = await StartAsync();
        await using var b = await StartAsync();

        var first = await a.AskAsync("First?", sessionId: "roaming");
        var key = a.SessionKeys["roaming"];
        b.SessionKeys["roaming"] = key;
        var second = await b.AskAsync("Second?", sessionId: "roaming");

        Assert.Equal("done", first[^1].Type);
        Assert.Equal("done", second[^1].Type);

        // B read A's key: it recorded the session under the same owner and handed the same key back, instead of a new one.
        Assert.Equal(key, b.SessionKeys["roaming"]);
        var ownerOnA = (await a.Services.GetRequiredService<IConversationStore>().GetSessionAsync("roaming"))!.Owner;
        var ownerOnB = (await b.Services.GetRequiredService<IConversationStore>().GetSessionAsync("roaming"))!.Owner;
        Assert.StartsWith("key:", ownerOnA, StringComparison.Ordinal);
        Assert.Equal(ownerOnA, ownerOnB);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        Assert.True(await redis.GetDatabase().ListLengthAsync("streamingchat:dataprotection-keys") >= 1);
    }

    [Fact]
    public async Task RedisAway_LimitsAreKeptInEachProcess_NeitherAllRefusedNorAllLetThrough_AndHealthIsDegraded()
    {
        await using var host = await StartAsync("--StreamingChat:RateLimiting:PermitsPerMinutePerClient=2", "--StreamingChat:Redis:TimeoutMilliseconds=500");
        Assert.Equal(HttpStatusCode.OK, (await AskAsync(host, "198.51.100.7", "r-0")).Status);
        await _redis.StopAsync();

        var whileAway = new List<(HttpStatusCode Status, string? Code, HttpResponseMessage Response)>();
        for (var i = 1; i <= 3; i++)
        {
            whileAway.Add(await AskAsync(host, "198.51.100.7", $"r-{i}"));
        }

        using var health = await host.Client.GetAsync("/api/metrics/health/streaming");
        var status = (await health.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString();

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], whileAway.Select(r => r.Status));
        Assert.Equal("degraded", status);
        await _redis.StartAgainAsync();
    }
}
