using System.Diagnostics;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>The sample host with nothing configured: the offline model and the seeded <c>demo</c> chatbot.</summary>
public sealed class OfflineHostServerTests
{
    [Fact]
    public async Task Stream_EmbeddedDefaults_StreamTokensOverTimeThenDone()
    {
        await using var host = await HostInstance.StartAsync();
        using var response = await host.PostStreamAsync(new { query = "Hello", chatbotId = "demo", sessionId = "test-uuid", enableTTS = false });
        var arrivals = new List<(string Type, long At)>();

        await foreach (var e in SseTestClient.ReadEventsAsync(await response.Content.ReadAsStreamAsync()))
        {
            arrivals.Add((e.Type, Stopwatch.GetTimestamp()));
        }

        Assert.Equal("start", arrivals[0].Type);
        Assert.Equal("done", arrivals[^1].Type);
        var tokens = arrivals.Where(a => a.Type == "token").ToList();
        Assert.True(tokens.Count > 10, $"{tokens.Count} tokens");

        // At the offline model's default pace (at least 20 ms a token) the tokens cannot all arrive at once: they came
        // as made. A quarter of the pace leaves room for a busy machine delaying the first delivery.
        var spread = Stopwatch.GetElapsedTime(tokens[0].At, tokens[^1].At);
        Assert.True(spread >= TimeSpan.FromMilliseconds(20 * (tokens.Count - 1) * 0.25), $"tokens arrived within {spread.TotalMilliseconds} ms");
    }
}
