using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary><c>ChatbotHost smoke</c> as an operator runs it, against a running host.</summary>
public sealed class SmokeServerTests
{
    [Fact]
    public async Task Smoke_AgainstARunningHost_PrintsLatencyTotalAndTokens_ExitZero()
    {
        await using var host = await HostInstance.StartAsync("--StreamingChat:Model:Offline:FirstTokenDelayMs=20", "--StreamingChat:Model:Offline:TokenIntervalMs=1");

        var (exitCode, output) = await HostProcess.RunToEndAsync("smoke", "--url", host.Address.ToString(), "--chatbot", "demo", "Hello, are you there?");

        Assert.True(exitCode == 0, output);
        Assert.Matches(@"First token: \d+ ms", output);
        Assert.Matches(@"Total: \d+ ms", output);
        Assert.Matches(@"Tokens: [1-9]\d*", output);
        Assert.Contains("X-Streaming: on", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nobody", "404")]
    [InlineData("demo", "Failed to connect")]
    public async Task Smoke_Failure_ExitsOne(string chatbot, string expected)
    {
        await using var host = await HostInstance.StartAsync();
        var url = expected == "404" ? host.Address.ToString() : $"http://127.0.0.1:{TestPorts.Free()}";

        var (exitCode, output) = await HostProcess.RunToEndAsync("smoke", "--url", url, "--chatbot", chatbot, "Hello");

        Assert.Equal(1, exitCode);
        Assert.Contains("FAIL", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Smoke_UpstreamFails_ExitsOneNamingTheError()
    {
        await using var upstream = await FakeOpenAIServer.StartAsync();
        upstream.Default = new FakeCompletion { FailStatus = 503 };
        await using var host = await HostInstance.StartWithUpstreamAsync(upstream);

        var (exitCode, output) = await HostProcess.RunToEndAsync("smoke", "--url", host.Address.ToString(), "--chatbot", "demo", "Hello");

        Assert.Equal(1, exitCode);
        Assert.Contains("upstream_unavailable", output, StringComparison.Ordinal);
    }
}
