using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ModelContextProtocol.Server;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>
/// Approvals across instances: two host processes on one real Redis and one Mongo-wire store, the real OpenAI client
/// against a fake upstream that streams a <c>tool_calls</c> delta for the demo's <c>open_ticket</c> (a tool that needs
/// approval). The paused answer is approved once, on any instance, even after the one that paused it died.
/// </summary>
[Collection(SoloCollection.Name)]
public sealed class ApprovalsServerTests(MongoServerFixture mongo) : OneRedisSharedAnswersTests(mongo), IClassFixture<MongoServerFixture>
{
    /// <summary>The upstream asks for a ticket, then (with the tool's result) answers in words.</summary>
    private void ScriptTicket()
    {
        Upstream.Enqueue(new FakeCompletion { Tokens = ["Let me open it."], ToolCalls = [new FakeToolCall("call_t1", "open_ticket", """{"title":"Printer jammed"}""")] });
        Upstream.Default = new FakeCompletion { Tokens = ["Ticket", " opened."] };
    }

    /// <summary>Asks on <paramref name="client"/> and reads the paused answer to its end: its id and the approval it waits for.</summary>
    private async Task<(string MessageId, string ApprovalId)> PauseAsync(HttpClient client, string sessionId)
    {
        using var response = await PostAsync(client, sessionId);
        var events = await ReadAsync(response);
        // A call that waits for approval is the approval request: it is not run, so no tool-call of its own comes first.
        Assert.Equal(["start", "token", "approval-request", "done"], events.Select(e => e.Type));
        Assert.Equal("approval_required", events[^1].Data.GetProperty("finishReason").GetString());
        var request = events[2].Data;
        Assert.Equal(("call_t1", "open_ticket", "Printer jammed"), (request.GetProperty("toolCallId").GetString(), request.GetProperty("toolName").GetString(), request.GetProperty("input").GetProperty("title").GetString()));
        return (events[0].Data.GetProperty("messageId").GetString()!, request.GetProperty("approvalId").GetString()!);
    }

    private Task<HttpResponseMessage> ApproveAsync(HttpClient client, string sessionId, string messageId, string approvalId, object body, bool withKey = true)
    {
        var request = withKey
            ? Request(HttpMethod.Post, $"/api/chat/answers/{messageId}/approvals/{approvalId}", sessionId)
            : new HttpRequestMessage(HttpMethod.Post, $"/api/chat/answers/{messageId}/approvals/{approvalId}");
        request.Content = JsonContent.Create(body);
        return client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private static async Task<string> WithoutTraceAsync(HttpResponseMessage response)
    {
        var problem = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        problem.Remove("traceId");
        return problem.ToJsonString();
    }

    private int ContinuationRequests => Upstream.Requests.Count(r => r.Messages.Any(m => m.Role == "tool"));

    [Fact]
    public async Task APausedAnswer_ItsInstanceKilled_ApprovedOnB_ContinuesThere_Once_AndTheSessionShowsEveryPart()
    {
        ScriptTicket();
        var a = await StartAsync();
        await using var b = await StartAsync();
        using var clientA = Client(a);
        using var clientB = Client(b);
        var (messageId, approvalId) = await PauseAsync(clientA, "approve-killed");
        await a.KillAsync();
        await a.DisposeAsync();

        using var approved = await ApproveAsync(clientB, "approve-killed", messageId, approvalId, new { approved = true, reason = "go" });
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        Assert.StartsWith("/api/chat/answers/", approved.Headers.Location!.OriginalString, StringComparison.Ordinal);
        var continued = await ReadAsync(approved);

        Assert.Equal(["start", "tool-result", "token", "token", "done"], continued.Select(e => e.Type));
        Assert.StartsWith("T-", continued[1].Data.GetProperty("output").GetProperty("ticketId").GetString(), StringComparison.Ordinal);
        Assert.Equal("Ticket opened.", Text(continued));
        Assert.Equal(1, ContinuationRequests);

        using var again = await ApproveAsync(clientB, "approve-killed", messageId, approvalId, new { approved = false });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var problem = await again.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("approval_answered", true), (problem.GetProperty("code").GetString(), problem.GetProperty("approved").GetBoolean()));

        var paused = await StoredAnswerAsync(clientB, "approve-killed", messageId);
        var tool = paused.GetProperty("parts").EnumerateArray().Single(p => p.GetProperty("type").GetString() == "tool");
        Assert.Equal(("approval-responded", true, approvalId), (tool.GetProperty("state").GetString(), tool.GetProperty("approved").GetBoolean(), tool.GetProperty("approvalId").GetString()));
        var continuation = await StoredAnswerAsync(clientB, "approve-killed", continued[0].Data.GetProperty("messageId").GetString()!);
        Assert.Equal("output-available", continuation.GetProperty("parts")[0].GetProperty("state").GetString());
        Assert.Equal("Ticket opened.", continuation.GetProperty("content").GetString());
    }

    [Fact]
    public async Task TwoTabs_ApproveAtOnce_OnBothInstances_OneContinues_TheOtherIs409_AndTheToolRunsOnce()
    {
        ScriptTicket();
        await using var a = await StartAsync();
        await using var b = await StartAsync();
        using var clientA = Client(a);
        using var clientB = Client(b);
        var (messageId, approvalId) = await PauseAsync(clientA, "approve-twice");

        var onA = ApproveAsync(clientA, "approve-twice", messageId, approvalId, new { approved = true });
        var onB = ApproveAsync(clientB, "approve-twice", messageId, approvalId, new { approved = true });
        using var first = await onA;
        using var second = await onB;

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Conflict], new[] { first.StatusCode, second.StatusCode }.Order());
        var winner = first.StatusCode == HttpStatusCode.OK ? first : second;
        var continued = await ReadAsync(winner);
        Assert.Single(continued, e => e.Type == "tool-result");
        Assert.Equal("done", continued[^1].Type);
        Assert.Equal(1, ContinuationRequests);
    }

    [Fact]
    public async Task AStrangersApproval_IsTheSame404AsAnUnknownOne_AndABadBodyIs400NamingTheField()
    {
        ScriptTicket();
        await using var a = await StartAsync();
        using var client = Client(a);
        var (messageId, approvalId) = await PauseAsync(client, "approve-stranger");

        using var stranger = await ApproveAsync(client, "approve-stranger", messageId, approvalId, new { approved = true }, withKey: false);
        using var unknown = await ApproveAsync(client, "approve-stranger", messageId, "no-such-approval", new { approved = true });
        using var bad = await ApproveAsync(client, "approve-stranger", messageId, approvalId, new { approved = "yes" });

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (stranger.StatusCode, unknown.StatusCode));
        Assert.Equal(await WithoutTraceAsync(unknown), await WithoutTraceAsync(stranger));
        Assert.Contains("approval_not_found", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.True((await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("approved", out _));
        Assert.Equal(0, ContinuationRequests);

        // Nothing was decided: the owner still can.
        using var owner = await ApproveAsync(client, "approve-stranger", messageId, approvalId, new { approved = false, reason = "not now" });
        var continued = await ReadAsync(owner);
        Assert.Equal("Denied: not now", continued[1].Data.GetProperty("error").GetString());
    }

    [Fact]
    public async Task AStopSentToB_WhileAToolRunsOnA_CancelsTheTool_AndTheAnswerEndsStoppedWithinASecond()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var mcp = await McpTestServer.StartAsync(McpServerTool.Create(
            async (CancellationToken cancellationToken) =>
            {
                started.TrySetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    cancelled.TrySetResult();
                    throw;
                }

                return "never";
            },
            new McpServerToolCreateOptions { Name = "wait_for_it", Description = "Waits until it is cancelled." }));
        var (exitCode, output) = await HostProcess.RunToEndAsync("migrate", $"--ConnectionStrings:Mongo={Database}", "--StreamingChat:Chatbots:slow:SystemPrompt=Wait.", "--StreamingChat:Chatbots:slow:McpServers:0=slow");
        Assert.True(exitCode == 0, output);
        Upstream.Enqueue(new FakeCompletion { Tokens = [], ToolCalls = [new FakeToolCall("call_w1", "wait_for_it", "{}")] });
        Upstream.Default = new FakeCompletion { Tokens = ["Too", " late."] };
        var mcpServer = $"--StreamingChat:Mcp:Servers:slow:Endpoint={mcp.Endpoint}";
        await using var a = await StartAsync(mcpServer);
        await using var b = await StartAsync(mcpServer);
        using var clientA = Client(a);
        using var clientB = Client(b);

        var request = Request(HttpMethod.Post, "/api/chat/query/stream", "stop-tool");
        request.Content = JsonContent.Create(new { query = "Wait for it", chatbotId = "slow", sessionId = "stop-tool" });
        using var onA = await clientA.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, onA.StatusCode);
        var reading = ReadAsync(onA);
        await started.Task.WaitAsync(Patience);
        var messageId = onA.Headers.Location!.OriginalString.Split('/')[4];

        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var stop = new HttpRequestMessage(HttpMethod.Post, $"/api/chat/answers/{messageId}/stop");
        stop.Headers.Add("X-Session-Key", onA.Headers.GetValues("X-Session-Key").First());
        using var stopped = await clientB.SendAsync(stop);
        var events = await reading;
        clock.Stop();

        Assert.Equal(HttpStatusCode.OK, stopped.StatusCode);
        Assert.Equal("stopped", events[^1].Data.GetProperty("finishReason").GetString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"the answer ended {clock.Elapsed} after the stop");
        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(5)); // the tool saw the cancellation
        Assert.Single(Upstream.Requests, r => r.ToolNames.Contains("wait_for_it")); // the model was not asked again
    }
}
