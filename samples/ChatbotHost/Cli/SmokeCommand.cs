using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;

namespace ChatbotHost.Cli;

/// <summary>
/// <c>ChatbotHost smoke --url URL --chatbot ID "query"</c>: the deployment guide's smoke test. Streams one answer from a
/// running service and prints the first-token latency, the total time and the token count; exit 1 on any failure.
/// </summary>
internal static class SmokeCommand
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        // Over 60 lines: the smoke check's script in the order it runs: parse, ask, read the stream, check each event, report.
        var parsed = CliArguments.Parse(args);
        var options = parsed.Options;
        var unknown = options.Keys.FirstOrDefault(k => k is not ("url" or "chatbot" or "session" or "user" or "timeout"));
        var timeoutSeconds = 60.0;
        if (unknown is not null || (options.TryGetValue("timeout", out var timeout)
            && (!double.TryParse(timeout, NumberStyles.Float, CultureInfo.InvariantCulture, out timeoutSeconds) || timeoutSeconds <= 0)))
        {
            await error.WriteLineAsync($"Unknown or invalid option '--{unknown ?? "timeout"}'.").ConfigureAwait(false);
            return 1;
        }

        var url = options.GetValueOrDefault("url");
        var chatbot = options.GetValueOrDefault("chatbot");
        var session = options.GetValueOrDefault("session");
        var user = options.GetValueOrDefault("user");
        var query = parsed.Positional.LastOrDefault();
        if (url is null || chatbot is null || string.IsNullOrWhiteSpace(query) || !Uri.TryCreate(url, UriKind.Absolute, out var baseAddress))
        {
            await error.WriteLineAsync("""Usage: ChatbotHost smoke --url http://localhost:5000 --chatbot demo [--session ID] [--user ID] [--timeout 60] "question" """).ConfigureAwait(false);
            return 1;
        }

        session ??= "smoke-" + Guid.NewGuid().ToString("N")[..12];
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        var clock = Stopwatch.StartNew();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/chat/query/stream")
            {
                Content = JsonContent.Create(new Dictionary<string, object?> { ["query"] = query, ["chatbotId"] = chatbot, ["sessionId"] = session, ["userId"] = user, ["enableTTS"] = false }
                    .Where(p => p.Value is not null).ToDictionary()),
            };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(deadline.Token).ConfigureAwait(false);
                await error.WriteLineAsync($"FAIL: {(int)response.StatusCode} {body}").ConfigureAwait(false);
                return 1;
            }

            var streaming = response.Headers.TryGetValues("X-Streaming", out var values) ? values.FirstOrDefault() : "?";
            await output.WriteLineAsync($"Connected: {(int)response.StatusCode} {response.Content.Headers.ContentType?.MediaType}, X-Streaming: {streaming}, headers after {clock.ElapsedMilliseconds} ms").ConfigureAwait(false);
            double? firstToken = null;
            var tokens = 0;
            var characters = 0;
            await using var stream = await response.Content.ReadAsStreamAsync(deadline.Token).ConfigureAwait(false);
            await foreach (var item in SseParser.Create(stream).EnumerateAsync(deadline.Token).ConfigureAwait(false))
            {
                using var data = JsonDocument.Parse(item.Data);
                switch (item.EventType)
                {
                    case "token":
                        firstToken ??= clock.Elapsed.TotalMilliseconds;
                        tokens++;
                        characters += data.RootElement.GetProperty("text").GetString()?.Length ?? 0;
                        break;
                    case "done":
                        var total = clock.Elapsed.TotalMilliseconds;
                        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                            $"First token: {firstToken:0} ms\nTotal: {total:0} ms\nTokens: {tokens} ({characters} characters)\nFinish: {data.RootElement.GetProperty("finishReason").GetString()}\nOK")).ConfigureAwait(false);
                        return tokens > 0 ? 0 : Fail(error, "the answer had no token");
                    case "error":
                        await error.WriteLineAsync($"FAIL: error event after {tokens} tokens: {item.Data}").ConfigureAwait(false);
                        return 1;
                }
            }

            return Fail(error, $"the stream ended without a done event after {tokens} tokens");
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return Fail(error, $"no complete answer within {timeoutSeconds} s");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or JsonException)
        {
            return Fail(error, ex.Message);
        }
    }

    private static int Fail(TextWriter error, string message)
    {
        error.WriteLine("FAIL: " + message);
        return 1;
    }
}
