using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using StreamingChat.Testing;
using Xunit.Abstractions;

namespace StreamingChat.IntegrationTests;

/// <summary>
/// Shared answers behind the shipped nginx config: two instances on one real Redis, clients whose connections drop in the
/// middle of answers and resume where nginx sends them (the other instance half the time), while both instances are
/// restarted one at a time.
/// </summary>
[Collection(SoloCollection.Name)]
public sealed class NginxSharedAnswersServerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Callers = 6;
    private const int MaxAnswers = 2000;
    private static readonly TimeSpan LoadLimit = TimeSpan.FromSeconds(120);
    private readonly ConcurrentDictionary<string, string> _sessionKeys = new(StringComparer.Ordinal);
    private RedisTestServer _redis = null!;
    private DeployedPair _pair = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisTestServer.StartAsync();
        _pair = new DeployedPair(output, [$"--REDIS_URL=redis://127.0.0.1:{_redis.Port}", "--StreamingChat:Answers:LeaseSeconds=3"]);
    }

    public async Task DisposeAsync()
    {
        await _pair.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task DroppedConnections_ResumeThroughNginx_OnEitherInstance_DuringARollingRestart_NothingFailsOrIsTruncated()
    {
        await _pair.StartAsync();
        await using var nginx = await _pair.StartNginxAsync();
        using var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = nginx.Address, Timeout = TimeSpan.FromSeconds(60) };
        using var direct = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = new Uri($"http://127.0.0.1:{_pair.Ports[0]}"), Timeout = TimeSpan.FromSeconds(60) };

        // Asked on the first instance and cut there; resumed through nginx, which sends every other request to the second.
        for (var i = 0; i < 4; i++)
        {
            var answer = await AskAsync(direct, $"Tell me about resuming, part {i}", $"direct-{i}", cutAfter: 4 + i, resumeWith: client, resumeByGet: true);
            Assert.True(answer.Complete, answer.ToString());
            Assert.Equal(1, answer.Cuts);

            // The text read in two pieces, on two instances, is the answer as the log holds it (read through nginx too).
            using var look = new HttpRequestMessage(HttpMethod.Get, $"/api/chat/answers/{answer.MessageId}");
            look.Headers.Add("X-Session-Key", _sessionKeys[$"direct-{i}"]);
            using var looked = await client.SendAsync(look);
            var logged = await looked.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
            Assert.Equal(("complete", answer.Text), (logged.GetProperty("status").GetString(), logged.GetProperty("answer").GetString()));
        }

        var results = new ConcurrentBag<Answer>();
        var restartDone = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource(LoadLimit);
        var load = Enumerable.Range(0, Callers).Select(caller => Task.Run(async () =>
        {
            var random = new Random(caller);
            for (var n = 0; !stop.IsCancellationRequested && results.Count < MaxAnswers; n++)
            {
                // Every answer is cut once at a random event; half resume as fetch-event-source does (the same POST with
                // Last-Event-ID), half by the resume URL the answer's Location gave.
                results.Add(await AskAsync(client, $"Question {caller}-{n % 5}: how do restarts keep answers?", $"caller-{caller}", cutAfter: random.Next(1, 30), resumeWith: client, resumeByGet: n % 2 == 0));
                if (restartDone.Task.IsCompleted && n >= 3)
                {
                    break;
                }
            }
        })).ToArray();

        while (results.Count < Callers * 2)
        {
            await Task.Delay(50);
        }

        var pidsBefore = _pair.Ports.Select(_pair.ReadPid).ToArray();
        var restart = await _pair.RollingRestartAsync();
        restartDone.SetResult(restart);
        await Task.WhenAll(load);

        var all = results.ToList();
        output.WriteLine($"{all.Count} answers, {all.Sum(a => a.Cuts)} cuts resumed");
        foreach (var failed in all.Where(a => !a.Complete).GroupBy(a => a.Status + " " + a.Error?[..Math.Min(a.Error.Length, 60)]).Select(g => $"x{g.Count()} {g.First()}"))
        {
            output.WriteLine($"not complete: {failed}");
        }

        Assert.Equal(0, restart);
        Assert.False(stop.IsCancellationRequested || all.Count >= MaxAnswers, "the load ran into its limits before the restart was over");
        Assert.All(_pair.Ports.Zip(pidsBefore), p => Assert.NotEqual(p.Second, _pair.ReadPid(p.First)));
        Assert.All(all, a => Assert.True(a.Complete, a.ToString()));
        Assert.True(all.Sum(a => a.Cuts) >= all.Count / 2, "most answers were cut and resumed");
    }

    /// <summary>One answer as a resuming client saw it: the events in order, however many connections they took.</summary>
    private sealed record Answer(int Status, string? Error, int Cuts, int Tokens, int? OutputTokens, bool Streaming, bool Done, bool InOrder)
    {
        public string? MessageId { get; init; }

        public string Text { get; init; } = "";

        public bool Complete => Status == 200 && Error is null && Done && InOrder && (Streaming ? Tokens > 0 && Tokens == OutputTokens : Tokens == 1);
    }

    /// <summary>
    /// Asks, drops the connection after event <paramref name="cutAfter"/>, and resumes from the last event it has (through
    /// <paramref name="resumeWith"/>) until the terminal event: by the same POST with <c>Last-Event-ID</c>, or by the resume
    /// URL. A connection that fails in the middle is resumed the same way.
    /// </summary>
    private async Task<Answer> AskAsync(HttpClient client, string query, string sessionId, int cutAfter, HttpClient resumeWith, bool resumeByGet)
    {
        long next = 0;
        var cuts = 0;
        var tokens = 0;
        int? outputTokens = null;
        var streaming = true;
        var inOrder = true;
        string? location = null;
        string? messageId = null;
        var text = new System.Text.StringBuilder();
        for (var attempt = 0; attempt < 8; attempt++)
        {
            using var cut = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var request = attempt > 0 && resumeByGet && location is not null
                ? new HttpRequestMessage(HttpMethod.Get, location)
                : new HttpRequestMessage(HttpMethod.Post, "/api/chat/query/stream") { Content = JsonContent.Create(new { query, chatbotId = "demo", sessionId }) };
            if (_sessionKeys.TryGetValue(sessionId, out var key))
            {
                request.Headers.Add("X-Session-Key", key);
            }

            if (next > 0)
            {
                request.Headers.Add("Last-Event-ID", (next - 1).ToString(CultureInfo.InvariantCulture));
            }

            try
            {
                using var response = await (attempt == 0 ? client : resumeWith).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cut.Token);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    return new((int)response.StatusCode, await response.Content.ReadAsStringAsync(), cuts, tokens, outputTokens, streaming, false, inOrder);
                }

                if (response.Headers.TryGetValues("X-Session-Key", out var keys))
                {
                    _sessionKeys[sessionId] = keys.First();
                }

                location ??= response.Headers.Location?.ToString();
                streaming = response.Headers.GetValues("X-Streaming").Single() == "on";
                await foreach (var e in SseTestClient.ReadEventsAsync(await response.Content.ReadAsStreamAsync(cut.Token), cut.Token))
                {
                    inOrder &= e.Id == next.ToString(CultureInfo.InvariantCulture);
                    next++;
                    switch (e.Type)
                    {
                        case "start":
                            messageId ??= e.Data.GetProperty("messageId").GetString();
                            break;
                        case "token":
                            tokens++;
                            text.Append(e.Text);
                            break;
                        case "done":
                            outputTokens = e.Data.GetProperty("usage").GetProperty("outputTokens").GetInt32();
                            return new(200, null, cuts, tokens, outputTokens, streaming, true, inOrder) { MessageId = messageId, Text = text.ToString() };
                        case "error":
                            return new(200, e.Data.GetRawText(), cuts, tokens, outputTokens, streaming, false, inOrder);
                    }

                    if (attempt == 0 && next - 1 == cutAfter)
                    {
                        break; // the connection drops here
                    }
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
            {
                // The connection failed in the middle: resumed as a cut one is.
            }

            cuts++;
        }

        return new(200, "no terminal event after 8 connections", cuts, tokens, outputTokens, streaming, false, inOrder);
    }
}
