using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace StreamingChat.IntegrationTests;

/// <summary>Every refusal of API.md for the two chat endpoints, as problem details with their code, on the running host.</summary>
public sealed class ChatRefusalServerTests : IAsyncLifetime
{
    private HostInstance _host = null!;

    public async Task InitializeAsync() => _host = await HostInstance.StartAsync(
        "--StreamingChat:Chatbots:demo:SystemPrompt=Be brief.",
        "--StreamingChat:Chatbots:retired:Enabled=false",
        "--StreamingChat:Model:Offline:FirstTokenDelayMs=0",
        "--StreamingChat:Model:Offline:TokenIntervalMs=0");

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public static TheoryData<string, string?, string, int, string> Refusals()
    {
        var data = new TheoryData<string, string?, string, int, string>();
        foreach (var path in new[] { "/api/chat/query/stream", "/api/chat/query" })
        {
            data.Add(path, "application/json", "{\"query\":", 400, "invalid_request");
            data.Add(path, "application/json", "", 400, "invalid_request");
            data.Add(path, "application/json", """{"query":"","chatbotId":"demo","sessionId":"s"}""", 400, "invalid_request");
            data.Add(path, "application/json", """{"query":"Hi","chatbotId":"no such bot!","sessionId":"s"}""", 400, "invalid_request");
            data.Add(path, "application/json", """{"query":"Hi","chatbotId":"TEST_ID","sessionId":"s"}""", 404, "chatbot_not_found");
            data.Add(path, "application/json", """{"query":"Hi","chatbotId":"retired","sessionId":"s"}""", 404, "chatbot_not_found");
            data.Add(path, "application/json", $$"""{"query":"{{new string('x', 70_000)}}","chatbotId":"demo","sessionId":"s"}""", 413, "payload_too_large");
            data.Add(path, "text/plain", """{"query":"Hi","chatbotId":"demo","sessionId":"s"}""", 415, "unsupported_media_type");
            data.Add(path, null, """{"query":"Hi","chatbotId":"demo","sessionId":"s"}""", 415, "unsupported_media_type");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Post_BadRequest_IsRefusedWithProblemDetailsAndCode(string path, string? contentType, string body, int status, string code)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        if (contentType is not null)
        {
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }

        using var response = await _host.Client.PostAsync(path, content);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        if (status == 400)
        {
            Assert.Equal(JsonValueKind.Object, problem.GetProperty("errors").ValueKind);
            Assert.NotEmpty(problem.GetProperty("errors").EnumerateObject());
        }

        // The host goes on serving normally after any refusal.
        var events = await _host.AskAsync("Still there?");
        Assert.Equal("done", events[^1].Type);
    }

    [Fact]
    public async Task Post_InvalidRequest_NamesEveryBadField()
    {
        using var response = await _host.Client.PostAsync("/api/chat/query/stream", new StringContent("""{"query":5,"chatbotId":"x y","enableTTS":"no","colour":"red"}""", Encoding.UTF8, "application/json"));

        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal(["chatbotId", "colour", "enableTTS", "query"], errors.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("/api/chat/query/stream")]
    [InlineData("/api/chat/ui")] // the front ends' bodies are read twice (an approval's answer first): the bound holds for both
    [InlineData("/api/chat/agui")]
    public async Task Post_OverLimitWithoutContentLength_IsPayloadTooLarge(string path)
    {
        var body = Encoding.UTF8.GetBytes($$"""{"query":"{{new string('x', 100_000)}}","chatbotId":"demo","sessionId":"s"}""");
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StreamContent(new NonSeekableStream(body)) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using var response = await _host.Client.SendAsync(request);

        Assert.Null(request.Content.Headers.ContentLength);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Get_OnAChatEndpoint_IsMethodNotAllowed()
    {
        using var response = await _host.Client.GetAsync("/api/chat/query/stream");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
