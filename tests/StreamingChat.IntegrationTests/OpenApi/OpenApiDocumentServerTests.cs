using System.Net;
using System.Text.Json;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>The sample host's <c>/openapi/v1.json</c> against the HTTP contract: every path, its refusals and their codes.</summary>
public sealed class OpenApiDocumentServerTests
{
    /// <summary>
    /// The HTTP contract's endpoints (docs: README "The HTTP contract"), each with the refusals it lists: status and the
    /// problem codes that status carries. A success status is listed as a status with no codes.
    /// </summary>
    public static readonly TheoryData<string, string, string> Contract = new()
    {
        { "post", "/api/chat/query/stream", "200;400 invalid_request;401 unauthorized;404 chatbot_not_found session_not_found;409 answer_in_progress;413 payload_too_large;415 unsupported_media_type;429 rate_limited quota_exceeded;503 server_draining overloaded" },
        { "post", "/api/chat/query", "200;400 invalid_request;404 chatbot_not_found session_not_found;409 answer_in_progress;413 payload_too_large;415 unsupported_media_type;429 rate_limited quota_exceeded;503 server_draining overloaded;502 upstream_rate_limited upstream_unavailable;504 upstream_timeout" },
        { "post", "/api/chat/sessions", "201;400 invalid_request;401 unauthorized;409 session_exists;413 payload_too_large;415 unsupported_media_type;429 rate_limited" },
        { "get", "/api/chat/sessions/{sessionId}", "200;404 session_not_found" },
        { "delete", "/api/chat/sessions/{sessionId}", "204;404 session_not_found" },
        { "get", "/api/chat/answers/{messageId}/stream", "200;204;404 answer_not_found" },
        { "post", "/api/chat/answers/{messageId}/stop", "200;404 answer_not_found" },
        { "get", "/api/chat/answers/{messageId}", "200;404 answer_not_found" },
        { "post", "/api/chat/ui", "200;400 invalid_request;404 chatbot_not_found session_not_found;409 answer_in_progress;429 rate_limited;503 server_draining" },
        { "get", "/api/chat/ui/{sessionId}/stream", "200;204;404 session_not_found" },
        { "post", "/api/chat/agui", "200;400 invalid_request;404 chatbot_not_found session_not_found;409 answer_in_progress;429 rate_limited;503 server_draining" },
        { "get", "/api/metrics/streaming/summary", "200;401 unauthorized" },
        { "get", "/api/metrics/streaming", "200;401 unauthorized" },
        { "get", "/api/metrics/health/streaming", "200;503" },
        { "get", "/healthz/live", "200" },
        { "get", "/healthz/ready", "200;503" },
        { "get", "/api/metrics/feature-flags", "200;401 unauthorized" },
        { "post", "/api/metrics/feature-flags/rollout", "200;400 invalid_request;401 unauthorized;403 admin_disabled;409 schedule_active;503 rollout_store_unavailable" },
        { "get", "/api/metrics/feature-flags/decision", "200;404 feature_not_found" },
        { "post", "/api/metrics/feature-flags/schedule", "200;400 invalid_request;401 unauthorized;403 admin_disabled;409 schedule_active" },
        { "post", "/api/metrics/feature-flags/schedule/pause", "200;401 unauthorized" },
        { "post", "/api/metrics/feature-flags/schedule/resume", "200;401 unauthorized" },
        { "post", "/api/metrics/feature-flags/schedule/abort", "200;401 unauthorized" },
        { "post", "/api/metrics/feature-flags/schedule/promote", "200;401 unauthorized" },
        { "get", "/api/metrics/streaming/series", "200;400 invalid_request" },
        { "get", "/api/metrics/instances", "200" },
    };

    /// <summary>The sample host's document, read once for the tests that read it.</summary>
    internal static readonly Lazy<Task<JsonElement>> Document = new(LoadAsync);

    [Theory]
    [MemberData(nameof(Contract))]
    public async Task EveryEndpointOfTheContract_IsInTheDocument_WithItsRefusalsAndTheirCodes(string method, string path, string responses)
    {
        var document = await Document.Value;
        Assert.True(document.GetProperty("paths").TryGetProperty(path, out var item), $"{path} is not in the document");
        Assert.True(item.TryGetProperty(method, out var operation), $"{method.ToUpperInvariant()} {path} is not in the document");
        var described = operation.GetProperty("responses");
        var description = operation.TryGetProperty("description", out var d) ? d.GetString() ?? "" : "";
        foreach (var response in responses.Split(';'))
        {
            var parts = response.Split(' ');
            Assert.True(described.TryGetProperty(parts[0], out var body), $"{method.ToUpperInvariant()} {path} lacks the {parts[0]} response");
            if (parts.Length > 1)
            {
                Assert.Equal("application/problem+json", Assert.Single(body.GetProperty("content").EnumerateObject()).Name);
                var line = description.Split('\n').SingleOrDefault(l => l.StartsWith($"- {parts[0]}: ", StringComparison.Ordinal)) ?? "";
                Assert.All(parts[1..], code => Assert.Contains(code, line.Split(": ").Last().Split(", ")));
            }
        }
    }

    [Fact]
    public async Task Streams_AreDescribedAsEventStreams_AndBodiesHaveTheirSchemas()
    {
        var document = await Document.Value;
        var stream = document.GetProperty("paths").GetProperty("/api/chat/query/stream").GetProperty("post");
        Assert.True(stream.GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("text/event-stream", out _));
        var body = stream.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString()!;
        var schema = document.GetProperty("components").GetProperty("schemas").GetProperty(body.Split('/')[^1]);
        Assert.Equal(["query", "chatbotId"], schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.True(schema.GetProperty("properties").TryGetProperty("enableTTS", out _));
        Assert.Equal("StreamingChat", document.GetProperty("info").GetProperty("title").GetString());
    }

    /// <summary>
    /// docs/HTTP-API.md is the document in words (<see cref="HttpApiMarkdown"/>): the test fails while they differ, and
    /// rewrites the page with <c>STREAMINGCHAT_WRITE_DOCS=1</c>.
    /// </summary>
    [Fact]
    public async Task TheHttpApiPage_IsTheDocumentInWords()
    {
        var written = HttpApiMarkdown.Render(await Document.Value);
        var file = Path.Combine(TestPorts.RepositoryRoot, "docs", "HTTP-API.md");
        if (Environment.GetEnvironmentVariable("STREAMINGCHAT_WRITE_DOCS") == "1")
        {
            await File.WriteAllTextAsync(file, written);
        }

        Assert.True(File.Exists(file), "docs/HTTP-API.md is missing: run the tests with STREAMINGCHAT_WRITE_DOCS=1 to write it.");
        Assert.Equal(written, (await File.ReadAllTextAsync(file)).ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task TheApiReferencePage_IsServedInDevelopmentOnly_FromThePackagesOwnScript()
    {
        await using (var development = await HostInstance.StartAsync("--environment=Development"))
        {
            using var page = await development.Client.GetAsync("/api-reference/");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            var html = await page.Content.ReadAsStringAsync();
            Assert.Contains("scalar.js", html, StringComparison.Ordinal);
            Assert.DoesNotContain("cdn.", html, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(HttpStatusCode.OK, (await development.Client.GetAsync("/api-reference/scalar.js")).StatusCode);
        }

        await using var production = await HostInstance.StartAsync("--environment=Production");
        Assert.Equal(HttpStatusCode.NotFound, (await production.Client.GetAsync("/api-reference/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await production.Client.GetAsync("/openapi/v1.json")).StatusCode);
    }

    private static async Task<JsonElement> LoadAsync()
    {
        await using var host = await HostInstance.StartAsync();
        using var response = await host.Client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.Clone();
    }
}
