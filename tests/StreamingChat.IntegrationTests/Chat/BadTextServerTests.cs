using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace StreamingChat.IntegrationTests;

/// <summary>
/// Requests that used to end in <c>500</c>: text that is not Unicode in any string of any JSON body (invalid UTF-8, half a
/// surrogate pair), a <c>Last-Event-ID</c> no event can have, a body sent too slowly. Each is a <c>400</c> (or <c>408</c>)
/// <c>invalid_request</c>, nothing is logged worse than a warning, and the host serves on. The host runs as its own
/// process so that what it logs can be read.
/// </summary>
public sealed class BadTextServerTests : IAsyncLifetime
{
    private const string Key = "7c1e9a3f5b2d8e0c4a6f1b3d5e7a9c2e";
    private HostProcess _host = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _host = await HostProcess.StartAsync($"--StreamingChat:Admin:ApiKeys:0={Key}", "--StreamingChat:RateLimiting:PermitsPerMinutePerClient=0", "--StreamingChat:RateLimiting:PermitsPerMinutePerSession=0", "--Logging:LogLevel:Default=Warning");
        _client = new HttpClient { BaseAddress = _host.Address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    /// <summary>Each JSON endpoint with a body that is valid as it is.</summary>
    public static TheoryData<string, string> Bodies => new()
    {
        { "/api/chat/query/stream", """{"query":"Hi","chatbotId":"demo","sessionId":"fz-1","enableTTS":false,"userId":"u1"}""" },
        { "/api/chat/query", """{"query":"Hi","chatbotId":"demo","sessionId":"fz-2","userId":"u1"}""" },
        { "/api/chat/ui", """{"id":"fz-3","messages":[{"id":"m1","role":"user","parts":[{"type":"text","text":"Hi"}]}],"trigger":"submit-message","chatbotId":"demo"}""" },
        { "/api/chat/agui", """{"threadId":"fz-4","runId":"r1","messages":[{"id":"m1","role":"user","content":"Hi"}],"tools":[],"context":[],"state":{},"forwardedProps":{"chatbotId":"demo"}}""" },
        { "/api/chat/sessions", """{"sessionId":"fz-5"}""" },
        { "/api/metrics/feature-flags/rollout", """{"feature":"streaming","percentage":100,"reason":"fuzz"}""" },
        { "/api/metrics/feature-flags/schedule", """{"feature":"streaming","steps":[50,100],"soakSeconds":600,"minSamples":10,"reason":"fuzz"}""" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task NotUnicodeAtEveryStringOfTheBody_Is400_AndTheHostServesOn(string path, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var wrong = new List<string>();
        var variants = 0;
        foreach (var at in StringStarts(bytes))
        {
            // Raw bytes that are not UTF-8, and an escape that leaves half a surrogate pair, just inside the string's quote.
            foreach (var bad in new[] { new byte[] { 0xC3, 0x28 }, new byte[] { 0xFF }, Encoding.ASCII.GetBytes("\\ud800"), Encoding.ASCII.GetBytes("x\\udc00y") })
            {
                variants++;
                byte[] variant = [.. bytes[..at], .. bad, .. bytes[at..]];
                using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(variant) };
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");
                request.Headers.Add("X-Admin-Key", Key);
                using var response = await _client.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                var code = response.Content.Headers.ContentType?.MediaType == "application/problem+json" ? JsonDocument.Parse(text).RootElement.GetProperty("code").GetString() : null;
                if (response.StatusCode != HttpStatusCode.BadRequest || code != "invalid_request")
                {
                    wrong.Add($"at byte {at}, {Convert.ToHexString(bad)}: {(int)response.StatusCode} {text[..Math.Min(200, text.Length)]}");
                }
            }
        }

        Assert.True(variants >= 8, $"{variants} variants");
        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
        await AssertServesAndLoggedNoFailureAsync();
    }

    [Fact]
    public async Task LastEventIdNoEventCanHave_OnTheResumeAndOnARetriedQuestion_Is400()
    {
        using var asked = await PostAsync("/api/chat/query/stream", """{"query":"Hi","chatbotId":"demo","sessionId":"lei"}""");
        var key = asked.Headers.GetValues("X-Session-Key").Single();
        var location = asked.Headers.Location!.OriginalString;
        await asked.Content.ReadAsStringAsync();

        foreach (var lastEventId in new[] { "9223372036854775807", "99999999999999999999999", "2147483647" })
        {
            using var resume = new HttpRequestMessage(HttpMethod.Get, location);
            resume.Headers.Add("Last-Event-ID", lastEventId);
            using var resumed = await _client.SendAsync(resume);
            Assert.Equal(HttpStatusCode.BadRequest, resumed.StatusCode);
            Assert.Contains("Last-Event-ID", await resumed.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            using var retried = await PostAsync("/api/chat/query/stream", """{"query":"Hi","chatbotId":"demo","sessionId":"lei"}""", ("X-Session-Key", key), ("Last-Event-ID", lastEventId));
            Assert.Equal(HttpStatusCode.BadRequest, retried.StatusCode);
        }

        // The query parameter too, and a number an event can have still resumes (past the end: 204).
        using var byQuery = await _client.GetAsync(location + "&lastEventId=9223372036854775807");
        Assert.Equal(HttpStatusCode.BadRequest, byQuery.StatusCode);
        using var past = new HttpRequestMessage(HttpMethod.Get, location);
        past.Headers.Add("Last-Event-ID", "2147483646");
        using var pastEnd = await _client.SendAsync(past);
        Assert.Equal(HttpStatusCode.NoContent, pastEnd.StatusCode);
        await AssertServesAndLoggedNoFailureAsync();
    }

    [Theory]
    [InlineData("/api/chat/query/stream")]
    [InlineData("/api/chat/sessions")]
    public async Task ABodySentTooSlowly_Is408_NotAServerFailure(string path)
    {
        // Kestrel's minimum body data rate (240 bytes a second after a 5 s grace) ends the read; the client still reads.
        using var socket = new TcpClient();
        await socket.ConnectAsync(_host.Address.Host, _host.Address.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST {path} HTTP/1.1\r\nHost: {_host.Address.Authority}\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{{\"query\":"));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var statusLine = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));
        var rest = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.StartsWith("HTTP/1.1 408", statusLine, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"invalid_request\"", rest, StringComparison.Ordinal);
        await AssertServesAndLoggedNoFailureAsync();
    }

    /// <summary>Where each string of a JSON text (names and values) starts, just inside its opening quote.</summary>
    private static List<int> StringStarts(byte[] json)
    {
        var starts = new List<int>();
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName)
            {
                starts.Add((int)reader.TokenStartIndex + 1);
            }
        }

        return starts;
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string json, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }

        return await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private async Task AssertServesAndLoggedNoFailureAsync()
    {
        using var answered = await PostAsync("/api/chat/query", """{"query":"Still fine?","chatbotId":"demo"}""");
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        var failures = _host.Output.Split('\n').Where(l => l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal)).ToList();
        Assert.True(failures.Count == 0, "The host logged a failure:\n" + _host.Output);
    }
}
