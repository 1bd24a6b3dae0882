using System.Net.Http.Json;
using ModelContextProtocol.Server;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>
/// A chatbot that names an MCP server: the server is ModelContextProtocol.AspNetCore's, hosted here on loopback with one
/// tool; the host's MCP source (the ModelContextProtocol client) offers that tool to the model (the real OpenAI client
/// against a fake upstream that calls it), and its result goes out through every framing.
/// </summary>
public sealed class McpToolsServerTests : IAsyncLifetime
{
    private McpTestServer _mcp = null!;
    private FakeOpenAIServer _upstream = null!;
    private HostInstance _host = null!;
    private int _lookups;

    public async Task InitializeAsync()
    {
        _mcp = await McpTestServer.StartAsync(McpServerTool.Create(
            (string orderId) =>
            {
                Interlocked.Increment(ref _lookups);
                return $"Order {orderId} has shipped.";
            },
            new McpServerToolCreateOptions { Name = "lookup_order", Description = "Where an order is." }));
        _upstream = await FakeOpenAIServer.StartAsync();
        _host = await HostInstance.StartWithUpstreamAsync(
            _upstream,
            $"--StreamingChat:Mcp:Servers:orders:Endpoint={_mcp.Endpoint}",
            "--StreamingChat:Chatbots:orders:SystemPrompt=You track orders.",
            "--StreamingChat:Chatbots:orders:McpServers:0=orders");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _upstream.DisposeAsync();
        await _mcp.DisposeAsync();
    }

    private void ScriptLookup()
    {
        _upstream.Enqueue(new FakeCompletion { Tokens = [], ToolCalls = [new FakeToolCall("call_m1", "lookup_order", """{"orderId":"A-1"}""")] });
        _upstream.Enqueue(new FakeCompletion { Tokens = ["It has", " shipped."] });
    }

    private async Task<string> PostAsync(string path, object body)
    {
        using var response = await _host.Client.PostAsJsonAsync(path, body);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task AnMcpServersTool_IsOfferedToTheModel_Runs_AndItsResultGoesOutThroughEveryFraming()
    {
        ScriptLookup();
        var events = await _host.AskAsync("Where is order A-1?", sessionId: "mcp-sse", chatbotId: "orders");
        var result = events.Single(e => e.Type == "tool-result");
        Assert.Equal(("call_m1", "lookup_order"), (result.Data.GetProperty("toolCallId").GetString(), result.Data.GetProperty("toolName").GetString()));
        Assert.Contains("Order A-1 has shipped.", result.Data.GetProperty("output").GetRawText(), StringComparison.Ordinal);
        Assert.Equal("It has shipped.", string.Concat(events.Select(e => e.Text)));
        Assert.Contains("lookup_order", _upstream.Requests[0].ToolNames);

        ScriptLookup();
        var ui = await PostAsync("/api/chat/ui", new { id = "mcp-ui", chatbotId = "orders", messages = new[] { new { id = "u1", role = "user", parts = new[] { new { type = "text", text = "Where is order A-1?" } } } } });
        Assert.Contains("\"type\":\"tool-output-available\",\"toolCallId\":\"call_m1\"", ui, StringComparison.Ordinal);
        Assert.Contains("Order A-1 has shipped.", ui, StringComparison.Ordinal);

        ScriptLookup();
        var agUi = await PostAsync("/api/chat/agui", new { threadId = "mcp-agui", runId = "r1", messages = new[] { new { id = "u1", role = "user", content = "Where is order A-1?" } }, forwardedProps = new { chatbotId = "orders" } });
        Assert.Contains("\"type\":\"TOOL_CALL_RESULT\"", agUi, StringComparison.Ordinal);
        Assert.Contains("Order A-1 has shipped.", agUi, StringComparison.Ordinal);

        Assert.Equal(3, _lookups);
    }

    [Fact]
    public async Task AnMcpServerThatIsDown_TheChatbotAnswersWithoutItsTools_AndTheHostServesOn()
    {
        await _mcp.StopAsync();
        _upstream.Default = new FakeCompletion { Tokens = ["No tools", " today."] };

        var events = await _host.AskAsync("Where is order A-1?", sessionId: "mcp-down", chatbotId: "orders");

        Assert.Equal("No tools today.", string.Concat(events.Select(e => e.Text)));
        Assert.Empty(_upstream.Requests[^1].ToolNames);
        Assert.Equal("done", events[^1].Type);
    }
}
