using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using StreamingChat.Testing;
using Xunit.Abstractions;

namespace StreamingChat.IntegrationTests;

/// <summary>
/// The deployment as the runbook has it, with real processes: deploy/nginx-streaming.conf in a real nginx, two
/// instances of the built host behind it, a steady load of streams, and deploy/rolling-restart.sh restarting both
/// instances one at a time in the middle of it.
/// </summary>
[Collection(SoloCollection.Name)]
public sealed class NginxRollingRestartServerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Callers = 6;
    private const int MaxStreams = 3000;
    private static readonly TimeSpan LoadLimit = TimeSpan.FromSeconds(120);
    private readonly DeployedPair _pair = new(output, []);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _pair.DisposeAsync();

    [Fact]
    public async Task RollingRestartUnderLoad_NoRequestFails_NoStreamIsCut_AndEventsArriveBeforeTheEnd()
    {
        await _pair.StartAsync();
        await using var nginx = await _pair.StartNginxAsync();
        var site = _pair.Site;
        var pidsBefore = _pair.Ports.Select(_pair.ReadPid).ToArray();

        using var client = new HttpClient { BaseAddress = nginx.Address, Timeout = TimeSpan.FromSeconds(60) };
        var results = new ConcurrentBag<StreamResult>();
        var restartDone = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource(LoadLimit);
        var load = Enumerable.Range(0, Callers).Select(caller => Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested && results.Count < MaxStreams; n++)
            {
                results.Add(await AskAsync(client, $"Question {caller}-{n % 7}: how do rolling restarts work?", $"caller-{caller}"));
                if (restartDone.Task.IsCompleted && n >= 3)
                {
                    break;
                }
            }
        })).ToArray();

        // Load first, then the restart in the middle of it.
        while (results.Count < Callers * 2)
        {
            await Task.Delay(50);
        }

        var restart = await _pair.RollingRestartAsync();
        var duringRestart = results.Count;
        restartDone.SetResult(restart);
        await Task.WhenAll(load);

        var all = results.ToList();
        output.WriteLine($"{all.Count} streams, {all.Count - duringRestart} after the restart; restart exit {restart}");
        foreach (var failed in all.Where(r => !r.Complete).Take(5))
        {
            output.WriteLine($"not complete: {failed}");
        }

        if (all.Any(r => !r.Complete))
        {
            output.WriteLine("nginx error log:\n" + string.Join('\n', nginx.ErrorLog.Split('\n').Where(l => l.Contains("[error]", StringComparison.Ordinal) || l.Contains("[warn]", StringComparison.Ordinal) || l.Contains("upstream", StringComparison.Ordinal)).Take(20)));
        }

        Assert.Equal(0, restart);
        Assert.False(stop.IsCancellationRequested || all.Count >= MaxStreams, "the load ran into its limits before the restart was over");
        Assert.All(_pair.Ports.Zip(pidsBefore), p => Assert.NotEqual(p.Second, _pair.ReadPid(p.First))); // both instances were replaced
        Assert.All(all, r => Assert.True(r.Complete, r.ToString()));
        // Buffering in nginx would hold back every stream's events until its end. One stream on these two busy cores
        // may have been starved while the restart ran and read its events in one go, so most, not all, must show them
        // arriving well before the end.
        var heldBack = all.Where(r => r.FirstTokenMs + 150 >= r.DoneMs).ToList();
        foreach (var r in heldBack.Take(5))
        {
            output.WriteLine($"events arrived together: {r}");
        }

        Assert.True(heldBack.Count * 10 <= all.Count, $"events held back in {heldBack.Count} of {all.Count} streams");
        Assert.Contains("proxy_buffering off", site, StringComparison.Ordinal);
    }

    private sealed record StreamResult(int Status, int Tokens, int? OutputTokens, bool Done, string? Error, double FirstTokenMs, double DoneMs)
    {
        public bool Complete => Status == 200 && Done && Error is null && Tokens > 0 && Tokens == OutputTokens;
    }

    /// <summary>Each caller's session key, sent back with its next question as a page does.</summary>
    private readonly ConcurrentDictionary<string, string> _sessionKeys = new(StringComparer.Ordinal);

    private async Task<StreamResult> AskAsync(HttpClient client, string query, string sessionId)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/chat/query/stream") { Content = JsonContent.Create(new { query, chatbotId = "demo", sessionId }) };
            if (_sessionKeys.TryGetValue(sessionId, out var key))
            {
                request.Headers.Add("X-Session-Key", key);
            }

            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            if (response.Headers.TryGetValues("X-Session-Key", out var keys))
            {
                _sessionKeys[sessionId] = keys.First();
            }

            if (!response.IsSuccessStatusCode)
            {
                return new((int)response.StatusCode, 0, null, false, await response.Content.ReadAsStringAsync(), 0, 0);
            }

            var tokens = 0;
            double firstToken = 0, done = 0;
            int? outputTokens = null;
            string? error = null;
            await foreach (var e in SseTestClient.ReadEventsAsync(await response.Content.ReadAsStreamAsync()))
            {
                switch (e.Type)
                {
                    case "token":
                        if (tokens++ == 0)
                        {
                            firstToken = clock.Elapsed.TotalMilliseconds;
                        }

                        break;
                    case "done":
                        done = clock.Elapsed.TotalMilliseconds;
                        outputTokens = e.Data.GetProperty("usage").GetProperty("outputTokens").GetInt32();
                        break;
                    case "error":
                        error = e.Data.GetRawText();
                        break;
                }
            }

            return new(200, tokens, outputTokens, done > 0, error, firstToken, done);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
        {
            return new(0, 0, null, false, ex.GetType().Name + ": " + ex.Message, 0, 0);
        }
    }
}
