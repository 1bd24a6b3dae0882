using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>
/// The front-end libraries themselves against the host: the Vercel AI SDK (ai@6: DefaultChatTransport,
/// readUIMessageStream, its chunk schema) on <c>/api/chat/ui</c>, and <c>@ag-ui/client</c>'s HttpAgent on <c>/api/chat/agui</c>.
/// </summary>
public sealed class FrontEndProtocolsServerTests : IAsyncLifetime
{
    private FakeOpenAIServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeOpenAIServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    private static readonly string[] Words = [.. Enumerable.Range(0, 30).Select(i => $" w{i}")];

    private static async Task<string> NewSessionKeyAsync(HostInstance host, string sessionId)
    {
        using var created = await host.Client.PostAsJsonAsync("/api/chat/sessions", new { sessionId });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("sessionKey").GetString()!;
    }

    private static Task<JsonElement> AiSdkAsync(HostInstance host, string mode, object args)
        => NodeClients.RunObjectAsync("ai-sdk-client.mjs", NodeClients.NodeModules, new Uri(host.Address, "/api/chat/ui").ToString(), mode, JsonSerializer.Serialize(args));

    private static Task<JsonElement> AgUiAsync(HostInstance host, object args)
        => NodeClients.RunObjectAsync("ag-ui-client.mjs", NodeClients.NodeModules, new Uri(host.Address, "/api/chat/agui").ToString(), JsonSerializer.Serialize(args));

    private static string MessageText(JsonElement message)
        => string.Concat(message.GetProperty("parts").EnumerateArray().Where(p => p.GetProperty("type").GetString() == "text").Select(p => p.GetProperty("text").GetString()));

    private static async Task<ConversationMessage> StoredAnswerAsync(HostInstance host, string sessionId)
    {
        var store = host.Services.GetRequiredService<IConversationStore>();
        for (var i = 0; i < 200; i++)
        {
            if ((await store.GetRecentAsync(sessionId, 10)).LastOrDefault(m => m.Role == ConversationRole.Assistant) is { } turn)
            {
                return turn;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("No answer was stored.");
    }

    [Fact]
    public async Task AiSdk_SendMessages_BuildsOneAssistantMessage_TheStoredAnswer_WithUsage_AndEveryChunkPassesTheSchema()
    {
        _upstream.Default = new FakeCompletion { Tokens = Words };
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream);
        var key = await NewSessionKeyAsync(host, "ui-1");

        var result = await AiSdkAsync(host, "ask", new { chatId = "ui-1", text = "Count", headers = new Dictionary<string, string> { ["X-Session-Key"] = key }, body = new { chatbotId = "demo" } });

        Assert.Empty(result.GetProperty("schemaFailures").EnumerateArray());
        Assert.Empty(result.GetProperty("errors").EnumerateArray());
        var message = result.GetProperty("message");
        var stored = await StoredAnswerAsync(host, "ui-1");
        Assert.Equal(("assistant", stored.MessageId), (message.GetProperty("role").GetString(), message.GetProperty("id").GetString()));
        Assert.Equal(stored.Content, MessageText(message));
        Assert.Equal(string.Concat(Words), stored.Content);
        var metadata = message.GetProperty("metadata");
        Assert.Equal(stored.Usage!.OutputTokens, metadata.GetProperty("usage").GetProperty("outputTokens").GetInt64());
        Assert.True(metadata.GetProperty("firstTokenMs").GetInt64() >= 0);
        var types = result.GetProperty("chunks").EnumerateArray().Select(c => c.GetProperty("type").GetString()).ToList();
        Assert.Equal(["start", "start-step", "text-start"], types.Take(3));
        Assert.Equal(["text-end", "finish-step", "finish"], types.TakeLast(3));
        Assert.Equal(stored.MessageId, result.GetProperty("chunks")[0].GetProperty("messageId").GetString());
    }

    [Fact]
    public async Task AiSdk_UpstreamFailure_EndsWithAnErrorChunkTheSdkSurfaces()
    {
        _upstream.Default = new FakeCompletion { FailStatus = 503 };
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream, "--StreamingChat:Chat:DefaultChatbotId=demo");
        var key = await NewSessionKeyAsync(host, "ui-fail");

        var result = await AiSdkAsync(host, "ask", new { chatId = "ui-fail", text = "Hi", headers = new Dictionary<string, string> { ["X-Session-Key"] = key } });

        Assert.Empty(result.GetProperty("schemaFailures").EnumerateArray());
        Assert.Equal("error", result.GetProperty("chunks").EnumerateArray().Last().GetProperty("type").GetString());
        Assert.Contains(result.GetProperty("errors").EnumerateArray(), e => e.GetString()!.Contains("upstream_unavailable", StringComparison.Ordinal));
        Assert.Equal(MessageStatus.Failed, (await StoredAnswerAsync(host, "ui-fail")).Status);
    }

    [Fact]
    public async Task AiSdk_DisconnectThenReconnectToStream_ReturnsTheSameMessage_AndNothingRunningIsNull()
    {
        _upstream.Default = new FakeCompletion { Tokens = Words, TokenInterval = TimeSpan.FromMilliseconds(60) };
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream);
        var key = await NewSessionKeyAsync(host, "ui-2");
        var headers = new Dictionary<string, string> { ["X-Session-Key"] = key };

        var result = await AiSdkAsync(host, "disconnect", new { chatId = "ui-2", text = "Count", headers, body = new { chatbotId = "demo" }, afterDeltas = 3 });

        var resumed = result.GetProperty("resumed").GetProperty("message");
        var stored = await StoredAnswerAsync(host, "ui-2");
        Assert.Equal((stored.MessageId, MessageStatus.Complete), (resumed.GetProperty("id").GetString(), stored.Status));
        Assert.Equal(stored.Content, MessageText(resumed));
        Assert.StartsWith(MessageText(result.GetProperty("first").GetProperty("message")), stored.Content, StringComparison.Ordinal);
        Assert.Single(_upstream.Requests);

        var idle = await AiSdkAsync(host, "reconnect", new { chatId = "ui-2", headers });
        Assert.Equal(JsonValueKind.Null, idle.GetProperty("resumed").ValueKind);
    }

    [Fact]
    public async Task AgUi_RunAgent_Completes_TheDeltasAreTheStoredAnswer_AndAFailureIsRunErrorWithTheCode()
    {
        _upstream.Default = new FakeCompletion { Tokens = Words };
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream);
        var key = await NewSessionKeyAsync(host, "thread-1");
        var headers = new Dictionary<string, string> { ["X-Session-Key"] = key };

        var result = await AgUiAsync(host, new { threadId = "thread-1", text = "Count", headers, forwardedProps = new { chatbotId = "demo" } });

        Assert.Equal(JsonValueKind.Null, result.GetProperty("failure").ValueKind);
        var events = result.GetProperty("events").EnumerateArray().ToList();
        var types = events.Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Equal(["RUN_STARTED", "TEXT_MESSAGE_START"], types.Take(2));
        Assert.Equal(["TEXT_MESSAGE_END", "RUN_FINISHED"], types.TakeLast(2));
        var deltas = events.Where(e => e.GetProperty("type").GetString() == "TEXT_MESSAGE_CONTENT").Select(e => e.GetProperty("delta").GetString()).ToList();
        Assert.All(deltas, d => Assert.False(string.IsNullOrEmpty(d)));
        var stored = await StoredAnswerAsync(host, "thread-1");
        Assert.Equal(stored.Content, string.Concat(deltas));
        Assert.Contains(result.GetProperty("newMessages").EnumerateArray(), m => m.GetProperty("role").GetString() == "assistant" && m.GetProperty("content").GetString() == stored.Content);

        _upstream.Default = new FakeCompletion { FailStatus = 503 };
        var failed = await AgUiAsync(host, new { threadId = "thread-1", text = "Again", headers, forwardedProps = new { chatbotId = "demo" } });
        Assert.Equal("upstream_unavailable", failed.GetProperty("failure").GetProperty("code").GetString());
        Assert.Equal("RUN_ERROR", failed.GetProperty("events").EnumerateArray().Last().GetProperty("type").GetString());
    }

    [Fact]
    public async Task TheSameQuestionThroughAllThreeEndpoints_StoresThreeAnswers_AndTheMetricsCountEachOnce()
    {
        _upstream.Default = new FakeCompletion { Tokens = ["Same", " answer."] };
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream, "--StreamingChat:Chat:DefaultChatbotId=demo");

        using (var ours = await host.PostStreamAsync(new { query = "Same?", chatbotId = "demo", sessionId = "ours" }))
        {
            await ours.Content.ReadAsStringAsync();
        }

        var uiKey = await NewSessionKeyAsync(host, "ui-same");
        await AiSdkAsync(host, "ask", new { chatId = "ui-same", text = "Same?", headers = new Dictionary<string, string> { ["X-Session-Key"] = uiKey } });
        var aguiKey = await NewSessionKeyAsync(host, "agui-same");
        await AgUiAsync(host, new { threadId = "agui-same", text = "Same?", headers = new Dictionary<string, string> { ["X-Session-Key"] = aguiKey } });

        foreach (var session in new[] { "ours", "ui-same", "agui-same" })
        {
            var turns = await host.Services.GetRequiredService<IConversationStore>().GetRecentAsync(session, 10);
            Assert.Equal([("Same?", MessageStatus.Complete), ("Same answer.", MessageStatus.Complete)], turns.Select(t => (t.Content, t.Status)));
        }

        var details = await host.Client.GetFromJsonAsync<JsonElement>("/api/metrics/streaming");
        Assert.Equal((3, 3), (details.GetProperty("totals").GetProperty("requests").GetInt32(), details.GetProperty("totals").GetProperty("succeeded").GetInt32()));
    }

    [Fact]
    public async Task BadBodies_GetTheSameProblemDetails_NamingTheField()
    {
        await using var host = await HostInstance.StartAsync("--StreamingChat:Chat:DefaultChatbotId=");

        async Task<JsonElement> RefusedAsync(string path, object body)
        {
            using var response = await host.Client.PostAsJsonAsync(path, body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("invalid_request", problem.GetProperty("code").GetString());
            return problem.GetProperty("errors");
        }

        var noUser = await RefusedAsync("/api/chat/ui", new { id = "s", messages = new[] { new { id = "a", role = "assistant", parts = new[] { new { type = "text", text = "Hi" } } } }, chatbotId = "demo" });
        Assert.True(noUser.TryGetProperty("messages", out _));
        var noChatbot = await RefusedAsync("/api/chat/ui", new { id = "s", messages = new[] { new { id = "u", role = "user", parts = new[] { new { type = "text", text = "Hi" } } } } });
        Assert.True(noChatbot.TryGetProperty("chatbotId", out _));
        var noThread = await RefusedAsync("/api/chat/agui", new { runId = "r", messages = new[] { new { id = "u", role = "user", content = "Hi" } }, forwardedProps = new { chatbotId = "demo" } });
        Assert.True(noThread.TryGetProperty("threadId", out _));
        var blank = await RefusedAsync("/api/chat/agui", new { threadId = "t", runId = "r", messages = new[] { new { id = "u", role = "user", content = " " } }, forwardedProps = new { chatbotId = "demo" } });
        Assert.True(blank.TryGetProperty("messages", out _));

        using var unknownChatbot = await host.Client.PostAsJsonAsync("/api/chat/agui", new { threadId = "t", runId = "r", messages = new[] { new { id = "u", role = "user", content = "Hi" } }, forwardedProps = new { chatbotId = "nobody" } });
        Assert.Equal(HttpStatusCode.NotFound, unknownChatbot.StatusCode);
    }
}
