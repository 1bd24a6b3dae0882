using System.Net.Http.Json;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>The built sample host as its own process: what an operator runs.</summary>
public sealed class ChatbotHostProcessServerTests
{
    [Fact]
    public async Task Host_EmbeddedDefaults_StreamsTheGuidesStepFiveRequestAndStopsCleanlyOnSigterm()
    {
        await using var host = await HostProcess.StartAsync();
        using var client = new HttpClient { BaseAddress = host.Address };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/chat/query/stream")
        {
            Content = JsonContent.Create(new { query = "Hello", chatbotId = "demo", sessionId = "test-uuid", enableTTS = false }),
        };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var types = new List<string>();
        await foreach (var e in SseTestClient.ReadEventsAsync(await response.Content.ReadAsStreamAsync()))
        {
            types.Add(e.Type);
        }

        Assert.Equal("start", types[0]);
        Assert.True(types.Count(t => t == "token") > 10);
        Assert.Equal("done", types[^1]);
        Assert.Equal(0, await host.TerminateAsync());
    }

    [Fact]
    public async Task ValidateConfig_AsAProcess_ExitsZeroWhenValidAndOneWhenNot()
    {
        var valid = await HostProcess.RunToEndAsync("validate-config");
        var invalid = await HostProcess.RunToEndAsync("validate-config", "--StreamingChat:Chat:HeartbeatSeconds=0", "--StreamingChat:Model:OpenAI:ApiKey=sk-hidden-42", "--StreamingChat:Model:OpenAI:Endpoint=nope");

        Assert.True(valid.ExitCode == 0, valid.Output);
        Assert.Equal(1, invalid.ExitCode);
        Assert.Contains("HeartbeatSeconds", invalid.Output, StringComparison.Ordinal);
        Assert.Contains("Endpoint", invalid.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-hidden-42", invalid.Output, StringComparison.Ordinal);
    }
}
