using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using StreamingChat.AspNetCore;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>The metrics and health endpoints of the running host, against what its callers observed.</summary>
[Collection(SoloCollection.Name)]
public sealed partial class MetricsServerTests : IAsyncLifetime
{
    private FakeOpenAIServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeOpenAIServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task Summary_AfterNQuestions_CountsThemAsTheCallersSawThem()
    {
        const int N = 12;
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream);
        var firstTokenMs = new List<long>();
        var tokens = 0;
        for (var i = 0; i < N; i++)
        {
            var events = await host.AskAsync($"Question {i}", sessionId: $"s{i}");
            Assert.Equal("done", events[^1].Type);
            firstTokenMs.Add(events[^1].Data.GetProperty("firstTokenMs").GetInt64());
            tokens += events.Count(e => e.Type == "token");
        }

        var summary = await host.Client.GetFromJsonAsync<JsonElement>("/api/metrics/streaming/summary");
        Assert.Equal(300, summary.GetProperty("windowSeconds").GetInt32());
        Assert.Equal(N, summary.GetProperty("requests").GetInt32());
        Assert.Equal(N, summary.GetProperty("succeeded").GetInt32());
        Assert.Equal(0, summary.GetProperty("failed").GetInt32());
        Assert.Equal(0, summary.GetProperty("errorCount").GetInt32());
        Assert.Equal(1.0, summary.GetProperty("successRate").GetDouble());
        Assert.Equal(0.0, summary.GetProperty("errorRate").GetDouble());
        Assert.Equal(0, summary.GetProperty("activeStreams").GetInt32());
        Assert.InRange(summary.GetProperty("avgFirstTokenMs").GetDouble(), firstTokenMs.Average() - 1, firstTokenMs.Average() + 1);
        Assert.InRange(summary.GetProperty("p50FirstTokenMs").GetDouble(), 0, firstTokenMs.Max() * 2.5 + 10);
        Assert.True(summary.GetProperty("tokensPerSecond").GetDouble() > 0);

        var details = await host.Client.GetFromJsonAsync<JsonElement>("/api/metrics/streaming");
        Assert.Equal(N, details.GetProperty("requests").GetInt32());
        Assert.Equal(N, details.GetProperty("totals").GetProperty("requests").GetInt32());
        Assert.Equal(tokens, details.GetProperty("totals").GetProperty("tokens").GetInt32());
        Assert.Equal(N, details.GetProperty("chatbots").GetProperty("demo").GetProperty("succeeded").GetInt32());
        Assert.Equal(N, details.GetProperty("firstTokenHistogram").EnumerateArray().Sum(b => b.GetProperty("count").GetInt32()));
        Assert.All(details.GetProperty("errorsByCode").EnumerateObject(), p => Assert.Equal(0, p.Value.GetInt32()));
        Assert.False(string.IsNullOrEmpty(details.GetProperty("instance").GetProperty("instanceId").GetString()));
        Assert.True(details.GetProperty("process").GetProperty("workingSetBytes").GetInt64() > 0);
        Assert.True(details.GetProperty("process").GetProperty("memoryLimitBytes").GetInt64() > 0);

        // The Prometheus scrape counts the same streams and tokens.
        await Eventually(async () => await ScrapedSumAsync(host, "streamingchat_streams_started_total") == N);
        await Eventually(async () => await ScrapedSumAsync(host, "streamingchat_tokens_total") == tokens);
        var scrape = await host.Client.GetStringAsync("/metrics");
        Assert.Contains("gen_ai_client_operation_duration", scrape, StringComparison.Ordinal);
        Assert.Contains("gen_ai_client_operation_time_to_first_chunk", scrape, StringComparison.Ordinal);
        Assert.DoesNotContain("gen_ai_client_operation_time_per_output_chunk", scrape, StringComparison.Ordinal);
        Assert.DoesNotContain("session", scrape, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Scrape_PerTokenMetricsOn_HasTheTimeBetweenChunks()
    {
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream, "--StreamingChat:Telemetry:PerTokenMetrics=true");
        var events = await host.AskAsync("Question", sessionId: "per-token");
        Assert.True(events.Count(e => e.Type == "token") > 1);

        await Eventually(async () => (await host.Client.GetStringAsync("/metrics")).Contains("gen_ai_client_operation_time_per_output_chunk", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Details_Failures_AreCountedPerErrorCode()
    {
        _upstream.Enqueue(new FakeCompletion { FailStatus = 429 });
        _upstream.Enqueue(new FakeCompletion { FailStatus = 500 });
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream);

        await host.AskAsync("a");
        await host.AskAsync("b");
        await host.AskAsync("c");

        var details = await host.Client.GetFromJsonAsync<JsonElement>("/api/metrics/streaming");
        Assert.Equal((3, 1, 2), (details.GetProperty("requests").GetInt32(), details.GetProperty("succeeded").GetInt32(), details.GetProperty("failed").GetInt32()));
        var byCode = details.GetProperty("errorsByCode");
        Assert.Equal(1, byCode.GetProperty("upstream_rate_limited").GetInt32());
        Assert.Equal(1, byCode.GetProperty("upstream_unavailable").GetInt32());
        Assert.Equal(0.6667, details.GetProperty("errorRate").GetDouble());
    }

    [Fact]
    public async Task Health_TheGuidesCronLine_HealthyThenDegradedPastTheErrorThresholdThenHealthyAgain()
    {
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream, "--StreamingChat:Health:MinRequests=5");
        for (var i = 0; i < 5; i++)
        {
            await host.AskAsync("fine");
        }

        Assert.Equal("healthy", await CronLineAsync(host));

        _upstream.Enqueue(new FakeCompletion { FailStatus = 500 });
        await host.AskAsync("fails");
        Assert.Equal("degraded", await CronLineAsync(host)); // 1 of 6 failed: 16.7 % > 2 %

        using (var response = await host.Client.GetAsync("/api/metrics/health/streaming"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode); // degraded still answers 200
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains("error rate", body.GetProperty("checks").GetProperty("streaming").GetProperty("description").GetString(), StringComparison.Ordinal);
        }

        for (var i = 0; i < 44; i++)
        {
            await host.AskAsync("fine again");
        }

        Assert.Equal("healthy", await CronLineAsync(host)); // 1 of 50 failed: 2 %, not over the threshold
    }

    [Fact]
    public async Task Health_ModelProviderDown_IsDegradedButStillReady()
    {
        _upstream.ModelsStatus = 503;
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream);

        var health = await host.Client.GetFromJsonAsync<JsonElement>("/api/metrics/health/streaming");

        Assert.Equal("degraded", health.GetProperty("status").GetString());
        Assert.Equal("degraded", health.GetProperty("checks").GetProperty("model").GetProperty("status").GetString());
        Assert.Equal("healthy", health.GetProperty("checks").GetProperty("streaming").GetProperty("status").GetString());
        using var ready = await host.Client.GetAsync("/healthz/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task Health_Draining_IsUnhealthy503AndNotReadyButLive()
    {
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream);
        using (var ready = await host.Client.GetAsync("/healthz/ready"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        host.Services.GetRequiredService<StreamingChatDrain>().BeginDrain();

        using var health = await host.Client.GetAsync("/api/metrics/health/streaming");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        var body = await health.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("unhealthy", body.GetProperty("status").GetString());
        Assert.Equal("unhealthy", body.GetProperty("checks").GetProperty("streaming").GetProperty("status").GetString());
        using var notReady = await host.Client.GetAsync("/healthz/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        using var live = await host.Client.GetAsync("/healthz/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    private static async Task<string?> CronLineAsync(HostInstance host)
        => (await host.Client.GetFromJsonAsync<JsonElement>("/api/metrics/health/streaming")).GetProperty("status").GetString();

    private static async Task<long> ScrapedSumAsync(HostInstance host, string metric)
    {
        var text = await host.Client.GetStringAsync("/metrics");
        return text.Split('\n')
            .Where(line => line.StartsWith(metric + "{", StringComparison.Ordinal) || line.StartsWith(metric + " ", StringComparison.Ordinal))
            .Sum(line => (long)double.Parse(SampleValue().Match(line).Groups[1].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"\}?\s([0-9.eE+-]+)(\s[0-9]+)?$")]
    private static partial Regex SampleValue();

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!await condition())
        {
            await Task.Delay(100, patience.Token);
        }
    }
}
