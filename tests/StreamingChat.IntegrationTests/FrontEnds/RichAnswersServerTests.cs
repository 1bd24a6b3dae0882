using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>
/// Answers with reasoning, a tool call, a source and an approval, with the sample host's demo tools, read through every
/// framing by the front-end libraries themselves: ai@7 and @ag-ui/client@1.0.4 under Node 22 (the versions that know these
/// parts) against a fake OpenAI-compatible upstream that streams <c>reasoning_content</c> and <c>tool_calls</c> deltas
/// through the real OpenAI client, and our own events resumed at every id of an offline-model answer that cites a source.
/// </summary>
public sealed class RichAnswersServerTests : IAsyncLifetime
{
    private FakeOpenAIServer _upstream = null!;
    private HostInstance _host = null!;

    /// <summary>The host answering through the real OpenAI client from a fake upstream that streams reasoning and tool calls.</summary>
    public async Task InitializeAsync()
    {
        _upstream = await FakeOpenAIServer.StartAsync();
        _upstream.Responder = FakeToolModel.Respond;
        _host = await HostInstance.StartWithUpstreamAsync(_upstream);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private async Task<string> NewSessionKeyAsync(string sessionId)
    {
        using var created = await _host.Client.PostAsJsonAsync("/api/chat/sessions", new { sessionId });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("sessionKey").GetString()!;
    }

    private static IEnumerable<string> PartTypes(JsonElement message)
        => message.GetProperty("parts").EnumerateArray().Select(p => p.GetProperty("type").GetString()!);

    [Fact]
    public async Task AiSdk7_EveryPartPassesItsSchema_AResumeGivesTheSameMessage_AnApprovalContinues_AndTheSessionValidates()
    {
        var key = await NewSessionKeyAsync("rich-ui");

        var result = await NodeClients.RunObjectWithNode22Async("ai7-rich-client.mjs", NodeClients.Node22Modules, _host.Address.ToString().TrimEnd('/'),
            JsonSerializer.Serialize(new { chatId = "rich-ui", headers = new Dictionary<string, string> { ["X-Session-Key"] = key }, body = new { chatbotId = "demo" } }));

        Assert.Empty(result.GetProperty("schemaFailures").EnumerateArray());
        var straight = result.GetProperty("straight");
        Assert.Empty(straight.GetProperty("errors").EnumerateArray());
        var message = straight.GetProperty("message");
        Assert.Equal(["step-start", "reasoning", "tool-get_time", "text"], PartTypes(message).Distinct());
        Assert.Equal(2, PartTypes(message).Count(t => t == "step-start")); // one step per model call
        var tool = message.GetProperty("parts").EnumerateArray().Single(p => p.GetProperty("type").GetString() == "tool-get_time");
        Assert.Equal(("output-available", "UTC"), (tool.GetProperty("state").GetString(), tool.GetProperty("input").GetProperty("zone").GetString()));

        // Dropped right after the tool's output, resumed as useChat does on load: the same parts, the whole answer.
        var resumed = result.GetProperty("resumed").GetProperty("message");
        Assert.Equal(PartTypes(message), PartTypes(resumed));
        Assert.Empty(result.GetProperty("resumed").GetProperty("errors").EnumerateArray());

        // The ticket paused for approval, and the approval (as addToolApprovalResponse sends it) ran the tool.
        var paused = result.GetProperty("paused").GetProperty("message");
        Assert.Contains(paused.GetProperty("parts").EnumerateArray(), p => p.GetProperty("type").GetString() == "tool-open_ticket" && p.GetProperty("state").GetString() == "approval-requested");
        var continued = result.GetProperty("continued").GetProperty("message");
        Assert.True(PartTypes(continued).Contains("tool-open_ticket"), result.GetProperty("continued").GetRawText());
        var ticket = continued.GetProperty("parts").EnumerateArray().Single(p => p.GetProperty("type").GetString() == "tool-open_ticket");
        Assert.Equal("output-available", ticket.GetProperty("state").GetString());
        Assert.StartsWith("T-", ticket.GetProperty("output").GetProperty("ticketId").GetString(), StringComparison.Ordinal);
        Assert.Contains("tool-approval-request", result.GetProperty("chunkTypes").EnumerateArray().Select(t => t.GetString()));

        Assert.Equal("ok", result.GetProperty("validation").GetString());
        Assert.Contains(result.GetProperty("rendered").EnumerateArray(), m => PartTypes(m).Contains("tool-get_time"));
    }

    [Fact]
    public async Task AgUi104_ReasoningAndToolCallsAreVerified_ATicketIsAnInterrupt_ResumeRunsTheTool_AndAReopenedThreadIsASnapshot()
    {
        var key = await NewSessionKeyAsync("rich-agui");

        var result = await NodeClients.RunObjectWithNode22Async("ag-ui-rich-client.mjs", NodeClients.Node22Modules, new Uri(_host.Address, "/api/chat/agui").ToString(),
            JsonSerializer.Serialize(new { threadId = "rich-agui", headers = new Dictionary<string, string> { ["X-Session-Key"] = key }, forwardedProps = new { chatbotId = "demo" } }));

        var time = result.GetProperty("time");
        Assert.Equal(JsonValueKind.Null, time.GetProperty("failure").ValueKind);
        var types = time.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Equal(["RUN_STARTED", "REASONING_START", "REASONING_MESSAGE_START"], types.Take(3));
        Assert.Contains("TOOL_CALL_RESULT", types);
        Assert.Equal("RUN_FINISHED", types[^1]);

        var interrupt = result.GetProperty("interrupt");
        Assert.Equal("tool_approval", interrupt.GetProperty("reason").GetString());
        var resumed = result.GetProperty("resumed");
        Assert.Equal(JsonValueKind.Null, resumed.GetProperty("failure").ValueKind);
        var toolResult = resumed.GetProperty("events").EnumerateArray().First(e => e.GetProperty("type").GetString() == "TOOL_CALL_RESULT");
        Assert.Contains("ticketId", toolResult.GetProperty("content").GetString(), StringComparison.Ordinal);

        // Reopened with no message of its own: the thread's stored turns as one snapshot, the tool calls and results in it.
        var snapshot = result.GetProperty("snapshot");
        Assert.Equal(JsonValueKind.Null, snapshot.GetProperty("failure").ValueKind);
        Assert.Equal(["RUN_STARTED", "MESSAGES_SNAPSHOT", "RUN_FINISHED"], snapshot.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("type").GetString()));
        var messages = snapshot.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal("What time is it?", messages[0].GetProperty("content").GetString());
        Assert.Contains(messages, m => m.GetProperty("role").GetString() == "assistant" && m.TryGetProperty("toolCalls", out var calls) && calls[0].GetProperty("function").GetProperty("name").GetString() == "get_time");
        Assert.Contains(messages, m => m.GetProperty("role").GetString() == "tool" && m.GetProperty("content").GetString()!.Contains("ticketId", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OurEvents_ResumedAtEveryId_OfAToolReasoningAndSourceAnswer_GiveTheStraightReadExactly()
    {
        // The offline model and the sample's own get_time: reasoning, the tool, and a source cited.
        await using var offline = await HostInstance.StartAsync("--StreamingChat:Model:Offline:FirstTokenDelayMs=20", "--StreamingChat:Model:Offline:TokenIntervalMs=5");
        var events = await offline.AskAsync("What time is it?", sessionId: "rich-sse");
        Assert.Contains(events, e => e.Type == "source");
        var messageId = events[0].Data.GetProperty("messageId").GetString()!;
        Assert.Contains(events, e => e.Type == "tool-result");
        var straight = events.Select(e => (e.Type, e.Id, e.Data.GetRawText())).ToList();

        // Counted: one tool call that succeeded, one answer that reasoned.
        var tools = (await offline.Client.GetFromJsonAsync<JsonElement>("/api/metrics/streaming/summary")).GetProperty("tools");
        Assert.Equal((1, 0, 1), (tools.GetProperty("calls").GetInt32(), tools.GetProperty("failed").GetInt32(), tools.GetProperty("reasoningAnswers").GetInt32()));

        for (var seen = 0; seen < events.Count - 1; seen++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/chat/answers/{messageId}/stream");
            request.Headers.Add("Last-Event-ID", seen.ToString(CultureInfo.InvariantCulture));
            request.Headers.Add("X-Session-Key", offline.SessionKeys["rich-sse"]);
            using var response = await offline.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            var rest = new List<ReceivedEvent>();
            await foreach (var e in SseTestClient.ReadEventsAsync(await response.Content.ReadAsStreamAsync()))
            {
                rest.Add(e);
            }

            Assert.Equal(straight, [.. straight.Take(seen + 1), .. rest.Select(e => (e.Type, e.Id, e.Data.GetRawText()))]);
        }
    }
}
