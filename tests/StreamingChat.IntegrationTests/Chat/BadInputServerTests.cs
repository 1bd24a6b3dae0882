using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace StreamingChat.IntegrationTests;

/// <summary>Malformed requests across every endpoint: each gets its 4xx and code, and the host keeps serving.</summary>
public sealed class BadInputServerTests
{
    private const string Key = "4e8a2c6f0b9d1e7a3c5f8b2d6e0a4c9f";
    private const string Stream = "/api/chat/query/stream";
    private const string Query = "/api/chat/query";
    private const string Rollout = "/api/metrics/feature-flags/rollout";

    private sealed record Case(string Name, HttpMethod Method, string Path, byte[]? Body, string? ContentType, int Status, string Code, bool AdminKey = true);

    private static byte[] U(string text) => Encoding.UTF8.GetBytes(text);

    private static Case Chat(string name, string body, int status = 400, string code = "invalid_request", string path = Stream, string contentType = "application/json")
        => new(name, HttpMethod.Post, path, U(body), contentType, status, code);

    private static Case Change(string name, string body, int status = 400, string code = "invalid_request", string contentType = "application/json", bool key = true)
        => new(name, HttpMethod.Post, Rollout, U(body), contentType, status, code, key);

    private static readonly Case[] Cases =
    [
        Chat("broken JSON", """{"query":"Hi","chatbotId":"demo",}"""),
        Chat("truncated JSON", """{"query":"Hi","chatbotId":"de"""),
        Chat("not an object", """["Hi","demo","s1"]"""),
        Chat("a bare string", "\"Hi\""),
        Chat("empty body", ""),
        Chat("whitespace body", "   \n "),
        Chat("missing query", """{"chatbotId":"demo","sessionId":"s1"}"""),
        Chat("missing chatbotId", """{"query":"Hi","sessionId":"s1"}"""),
        Chat("query null", """{"query":null,"chatbotId":"demo","sessionId":"s1"}"""),
        Chat("query a number", """{"query":42,"chatbotId":"demo","sessionId":"s1"}"""),
        Chat("query an object", """{"query":{"text":"Hi"},"chatbotId":"demo","sessionId":"s1"}"""),
        Chat("blank query", """{"query":"   ","chatbotId":"demo","sessionId":"s1"}"""),
        Chat("query over the limit", $$"""{"query":"{{new string('a', 8001)}}","chatbotId":"demo","sessionId":"s1"}"""),
        Chat("control character in query", """{"query":"Hi\u0000there","chatbotId":"demo","sessionId":"s1"}"""),
        Chat("chatbotId out of pattern", """{"query":"Hi","chatbotId":"../etc/passwd","sessionId":"s1"}"""),
        Chat("chatbotId too long", $$"""{"query":"Hi","chatbotId":"{{new string('b', 65)}}","sessionId":"s1"}"""),
        Chat("sessionId too long", $$"""{"query":"Hi","chatbotId":"demo","sessionId":"{{new string('s', 129)}}"}"""),
        Chat("sessionId with a newline", """{"query":"Hi","chatbotId":"demo","sessionId":"s\n1"}"""),
        Chat("enableTTS a string", """{"query":"Hi","chatbotId":"demo","sessionId":"s1","enableTTS":"yes"}"""),
        Chat("userId empty", """{"query":"Hi","chatbotId":"demo","sessionId":"s1","userId":""}"""),
        Chat("unknown field", """{"query":"Hi","chatbotId":"demo","sessionId":"s1","admin":true}"""),
        Chat("repeated field", """{"query":"Hi","query":"Bye","chatbotId":"demo","sessionId":"s1"}"""),
        new("invalid UTF-8", HttpMethod.Post, Stream, [.. U("""{"query":"Hi """), 0xC3, 0x28, .. U("\",\"chatbotId\":\"demo\",\"sessionId\":\"s1\"}")], "application/json", 400, "invalid_request"),
        Chat("text/plain", """{"query":"Hi","chatbotId":"demo","sessionId":"s1"}""", 415, "unsupported_media_type", contentType: "text/plain"),
        Chat("form body", "query=Hi&chatbotId=demo&sessionId=s1", 415, "unsupported_media_type", contentType: "application/x-www-form-urlencoded"),
        new("no content type", HttpMethod.Post, Stream, U("""{"query":"Hi","chatbotId":"demo","sessionId":"s1"}"""), null, 415, "unsupported_media_type"),
        Chat("body over 64 KiB", $$"""{"query":"Hi","chatbotId":"demo","sessionId":"s1","pad":"{{new string('p', 70_000)}}"}""", 413, "payload_too_large"),
        Chat("unknown chatbot", """{"query":"Hi","chatbotId":"nobody","sessionId":"s1"}""", 404, "chatbot_not_found"),
        Chat("one-piece: broken JSON", """{"query":""", path: Query),
        Chat("one-piece: wrong content type", """{"query":"Hi","chatbotId":"demo","sessionId":"s1"}""", 415, "unsupported_media_type", Query, "text/xml"),
        Chat("one-piece: unknown chatbot", """{"query":"Hi","chatbotId":"ghost","sessionId":"s1"}""", 404, "chatbot_not_found", Query),
        new("GET on the stream endpoint", HttpMethod.Get, Stream, null, null, 405, "method_not_allowed"),
        new("unknown path", HttpMethod.Get, "/api/chat/nothing-here", null, null, 404, "not_found"),
        Change("percentage 101", """{"feature":"streaming","percentage":101}"""),
        Change("percentage -1", """{"feature":"streaming","percentage":-1}"""),
        Change("percentage 1.5", """{"feature":"streaming","percentage":1.5}"""),
        Change("percentage \"50\"", """{"feature":"streaming","percentage":"50"}"""),
        Change("percentage null", """{"feature":"streaming","percentage":null}"""),
        Change("percentage missing", """{"feature":"streaming"}"""),
        Change("unknown feature", """{"feature":"teleport","percentage":5}"""),
        Change("rollout broken JSON", """{"feature":"streaming","percentage":"""),
        Change("rollout wrong content type", """{"feature":"streaming","percentage":5}""", 415, "unsupported_media_type", "text/plain"),
        Change("rollout without the key", """{"feature":"streaming","percentage":5}""", 401, "unauthorized", key: false),
        new("decision for an unknown feature", HttpMethod.Get, "/api/metrics/feature-flags/decision?feature=teleport", null, null, 404, "feature_not_found"),
    ];

    [Fact]
    public async Task EveryMalformedRequest_GetsItsStatusAndCode_AndTheHostServesNormallyAfter()
    {
        Assert.True(Cases.Length >= 30);
        await using var host = await HostInstance.StartAsync($"--StreamingChat:Admin:ApiKeys:0={Key}", "--StreamingChat:RateLimiting:PermitsPerMinutePerClient=0", "--StreamingChat:RateLimiting:PermitsPerMinutePerSession=0");
        var wrong = new List<string>();

        foreach (var c in Cases)
        {
            using var request = new HttpRequestMessage(c.Method, c.Path);
            if (c.Body is not null)
            {
                request.Content = new ByteArrayContent(c.Body);
                request.Content.Headers.ContentType = c.ContentType is null ? null : MediaTypeHeaderValue.Parse(c.ContentType);
            }

            if (c.AdminKey && c.Path == Rollout)
            {
                request.Headers.Add("X-Admin-Key", Key);
            }

            using var response = await host.Client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            string? code = null;
            if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
            {
                code = JsonDocument.Parse(body).RootElement.TryGetProperty("code", out var value) ? value.GetString() : null;
            }

            if ((int)response.StatusCode != c.Status || code != c.Code)
            {
                wrong.Add($"{c.Name}: {(int)response.StatusCode} {code ?? "(no code)"}, expected {c.Status} {c.Code}: {body[..Math.Min(body.Length, 200)]}");
            }
        }

        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
        var events = await host.AskAsync("Still fine?");
        Assert.Equal("done", events[^1].Type);
        var flags = JsonDocument.Parse(await host.Client.GetStringAsync("/api/metrics/feature-flags")).RootElement;
        Assert.Equal(100, flags.GetProperty("features")[0].GetProperty("percentage").GetInt32());
    }
}
