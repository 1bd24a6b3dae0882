using System.Diagnostics;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;

namespace StreamingChat.LoadTest;

/// <summary>What one stream did, on the stopwatch clock shared with the fake upstream.</summary>
internal readonly record struct StreamSample(bool Ok, string? Error, int Tokens, long Started, long FirstReceived, long FirstSent, long LastReceived, long LastSent)
{
    public double TimeToFirstTokenMs => Ms(FirstReceived - Started);

    /// <summary>How long the first token took from the upstream's write to this client's read.</summary>
    public double FirstTokenRelayMs => Ms(FirstReceived - FirstSent);

    /// <summary>How long the last token took from the upstream's write to this client's read.</summary>
    public double LastTokenLagMs => Ms(LastReceived - LastSent);

    public double DurationMs => Ms(LastReceived - Started);

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}

/// <summary>Drives concurrent SSE clients, against the host or straight at the upstream (the floor).</summary>
internal sealed class LoadRunner(HttpClient client)
{
    private static readonly byte[] FloorBody = Encoding.UTF8.GetBytes("""{"model":"fake-model","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"system","content":"You are a helpful assistant. Answer briefly and clearly."},{"role":"user","content":"Hello, how does streaming work?"}]}""");

    /// <summary>Runs <paramref name="requests"/> streams, <paramref name="concurrency"/> at a time, stopping early at <paramref name="timeLimit"/>.</summary>
    public async Task<List<StreamSample>> RunAsync(Uri target, bool floor, int concurrency, int requests, TimeSpan timeLimit)
    {
        var samples = new List<StreamSample>(Math.Min(requests, 100_000));
        var next = -1;
        using var limit = new CancellationTokenSource(timeLimit);
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) < requests && !limit.IsCancellationRequested)
            {
                var sample = await StreamAsync(target, floor, n, limit.Token);
                lock (samples)
                {
                    samples.Add(sample);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        return samples;
    }

    /// <summary>Opens <paramref name="count"/> streams and returns once each has its <c>start</c> event; they stay open until <paramref name="hold"/> is cancelled.</summary>
    public async Task<(int Open, List<Task> Running)> OpenIdleAsync(Uri target, int count, CancellationToken hold, TimeSpan timeLimit)
    {
        var opened = 0;
        var running = new List<Task>(count);
        using var limit = new CancellationTokenSource(timeLimit);
        var allOpen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var gate = new SemaphoreSlim(64);
        for (var i = 0; i < count; i++)
        {
            try
            {
                await gate.WaitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                break; // the time is up: report the streams that opened
            }

            var n = i;
            running.Add(Task.Run(async () =>
            {
                try
                {
                    using var request = HostRequest(target, n);
                    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, hold);
                    await using var stream = await response.Content.ReadAsStreamAsync(hold);
                    var first = true;
                    await foreach (var item in SseParser.Create(stream).EnumerateAsync(hold))
                    {
                        if (first && item.EventType == "start")
                        {
                            first = false;
                            gate.Release();
                            if (Interlocked.Increment(ref opened) == count)
                            {
                                allOpen.TrySetResult();
                            }
                        }
                    }
                }
                catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException)
                {
                    // Closed by the test, or refused.
                }
            }, CancellationToken.None));
        }

        await Task.WhenAny(allOpen.Task, Task.Delay(timeLimit, CancellationToken.None));
        return (Volatile.Read(ref opened), running);
    }

    private static HttpRequestMessage HostRequest(Uri target, int n) => new(HttpMethod.Post, new Uri(target, "/api/chat/query/stream"))
    {
        Content = new StringContent($$"""{"query":"Hello, how does streaming work?","chatbotId":"demo","sessionId":"load-{{n}}-{{Guid.NewGuid():N}}"}""", Encoding.UTF8, "application/json"),
    };

    private async Task<StreamSample> StreamAsync(Uri target, bool floor, int n, CancellationToken cancellationToken)
    {
        // Over 60 lines: one stream read by one client, from the request to the terminal event, timing each token on the upstream's clock; its steps share the timestamps.
        var started = Stopwatch.GetTimestamp();
        long firstReceived = 0, firstSent = 0, lastReceived = 0, lastSent = 0;
        var tokens = 0;
        try
        {
            using var request = floor
                ? new HttpRequestMessage(HttpMethod.Post, new Uri(target, "v1/chat/completions")) { Content = new ByteArrayContent(FloorBody) { Headers = { ContentType = new("application/json") } } }
                : HostRequest(target, n);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return new StreamSample(false, $"HTTP {(int)response.StatusCode}", 0, started, 0, 0, 0, 0);
            }

            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            string? error = null;
            var done = false;
            await foreach (var item in SseParser.Create(stream).EnumerateAsync(cancellationToken))
            {
                var received = Stopwatch.GetTimestamp();
                string? text = null;
                if (floor)
                {
                    if (item.Data == "[DONE]")
                    {
                        done = true;
                        break;
                    }

                    using var chunk = JsonDocument.Parse(item.Data);
                    var choices = chunk.RootElement.GetProperty("choices");
                    if (choices.GetArrayLength() > 0 && choices[0].GetProperty("delta").TryGetProperty("content", out var content))
                    {
                        text = content.GetString();
                    }
                }
                else
                {
                    switch (item.EventType)
                    {
                        case "token":
                            using (var data = JsonDocument.Parse(item.Data))
                            {
                                text = data.RootElement.GetProperty("text").GetString();
                            }

                            break;
                        case "done":
                            done = true;
                            break;
                        case "error":
                            error = item.Data;
                            break;
                    }
                }

                if (!string.IsNullOrEmpty(text))
                {
                    var sent = FakeUpstream.SentAt(text);
                    if (tokens++ == 0)
                    {
                        (firstReceived, firstSent) = (received, sent);
                    }

                    (lastReceived, lastSent) = (received, sent);
                }
            }

            var ok = done && error is null && tokens > 0;
            return new StreamSample(ok, ok ? null : error ?? "incomplete", tokens, started, firstReceived, firstSent, lastReceived, lastSent);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException or JsonException)
        {
            return new StreamSample(false, ex.GetType().Name, tokens, started, firstReceived, firstSent, lastReceived, lastSent);
        }
    }
}
