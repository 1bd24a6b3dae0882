using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>
/// The real <c>@microsoft/fetch-event-source</c> under Node (installed by the test command into .tools/node-clients)
/// reading the host's stream: it hands the page a message for every blank line, so heartbeats and <c>retry:</c> must
/// never produce an empty one (API.md).
/// </summary>
public sealed class FetchEventSourceServerTests : IAsyncLifetime
{
    private FakeOpenAIServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeOpenAIServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    private static Task<List<JsonElement>> AskAsync(HostInstance host, object body, string? sessionKey = null)
        => NodeClients.RunLinesAsync(
            "fetch-event-source-client.mjs",
            Path.Combine(NodeClients.NodeModules, "@microsoft", "fetch-event-source"),
            new Uri(host.Address, "/api/chat/query/stream").ToString(),
            JsonSerializer.Serialize(body),
            sessionKey is null ? "{}" : JsonSerializer.Serialize(new Dictionary<string, string> { ["X-Session-Key"] = sessionKey }));

    [Fact]
    public async Task TheLibrary_GetsEveryEventOnce_NoEmptyMessageFromHeartbeatsOrRetry_AndTheSessionKeyCarriesTheConversation()
    {
        _upstream.Default = new FakeCompletion { Tokens = ["Slow", " and", " steady."], TokenInterval = TimeSpan.FromMilliseconds(350) };
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream, "--StreamingChat:Chat:HeartbeatSeconds=0.1");

        var first = await AskAsync(host, new { query = "First?", chatbotId = "demo", sessionId = "page-session" });
        var key = first[0].GetProperty("sessionKey").GetString()!;
        var second = await AskAsync(host, new { query = "Second?", chatbotId = "demo", sessionId = "page-session" }, key);

        foreach (var lines in new[] { first, second })
        {
            Assert.Equal(("open", 200), (lines[0].GetProperty("kind").GetString(), lines[0].GetProperty("status").GetInt32()));
            var messages = lines.Skip(1).ToList();
            Assert.All(messages, m => Assert.Equal("message", m.GetProperty("kind").GetString()));
            Assert.All(messages, m => Assert.False(string.IsNullOrEmpty(m.GetProperty("data").GetString()), "an empty message reached the page"));
            Assert.Equal(Enumerable.Range(0, messages.Count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), messages.Select(m => m.GetProperty("id").GetString()));
            Assert.Equal("start", messages[0].GetProperty("event").GetString());
            Assert.Equal("done", messages[^1].GetProperty("event").GetString());
            var text = string.Concat(messages.Where(m => m.GetProperty("event").GetString() == "token").Select(m => JsonDocument.Parse(m.GetProperty("data").GetString()!).RootElement.GetProperty("text").GetString()));
            Assert.Equal("Slow and steady.", text);
        }

        var turns = await host.Services.GetRequiredService<IConversationStore>().GetRecentAsync("page-session", 10);
        Assert.Equal(["First?", "Slow and steady.", "Second?", "Slow and steady."], turns.Select(t => t.Content));
        Assert.Contains(("user", "First?"), _upstream.Requests[^1].Messages);
    }
}
