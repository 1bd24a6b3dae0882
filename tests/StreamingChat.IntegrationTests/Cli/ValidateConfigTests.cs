using ChatbotHost.Cli;

namespace StreamingChat.IntegrationTests;

public sealed class ValidateConfigTests
{
    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await ChatbotHostCli.RunAsync(["validate-config", "--Logging:LogLevel:Default=None", .. args], output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task ValidateConfig_Defaults_AreValid()
    {
        var (code, output, error) = await RunAsync("--StreamingChat:Model:Provider=");

        Assert.Equal(0, code);
        Assert.Contains("Configuration is valid.", output, StringComparison.Ordinal);
        Assert.Contains("Model provider: Offline", output, StringComparison.Ordinal);
        Assert.Contains("demo", output, StringComparison.Ordinal);
        Assert.Empty(error);
    }

    [Fact]
    public async Task ValidateConfig_OpenAIWithKey_IsValidAndNeverPrintsTheKey()
    {
        var (code, output, _) = await RunAsync("--StreamingChat:Model:OpenAI:ApiKey=sk-very-secret-123", "--StreamingChat:Model:OpenAI:Endpoint=http://user:pw-secret@localhost:11434/v1");

        Assert.Equal(0, code);
        Assert.Contains("Model provider: OpenAI", output, StringComparison.Ordinal);
        Assert.Contains("API key: set", output, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-very-secret-123", output, StringComparison.Ordinal);
        Assert.DoesNotContain("pw-secret", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateConfig_Errors_AreEachNamedAndExitOne()
    {
        var (code, output, error) = await RunAsync(
            "--StreamingChat:Model:Provider=OpenAI",
            "--StreamingChat:Model:OpenAI:Endpoint=not a url",
            "--StreamingChat:Chat:HeartbeatSeconds=0",
            "--StreamingChat:Chat:MaxQueryLength=-5",
            "--StreamingChat:Chatbots:bad id!:SystemPrompt=x",
            "--StreamingChat:Model:Offline:TokenIntervalMs=-1");

        Assert.Equal(1, code);
        Assert.DoesNotContain("Configuration is valid.", output, StringComparison.Ordinal);
        foreach (var expected in new[] { "ApiKey", "Endpoint", "HeartbeatSeconds", "MaxQueryLength", "bad id!", "TokenIntervalMs" })
        {
            Assert.Contains(expected, error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ValidateConfig_ValueOfTheWrongType_IsAnErrorNotACrash()
    {
        var (code, _, error) = await RunAsync("--StreamingChat:Chat:HeartbeatSeconds=often");

        Assert.Equal(1, code);
        Assert.Contains("HeartbeatSeconds", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateConfig_OpenAIKeyFromEnvironmentName_IsUsed()
    {
        var (code, output, _) = await RunAsync("--OPENAI_API_KEY=sk-from-env");

        Assert.Equal(0, code);
        Assert.Contains("Model provider: OpenAI", output, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-from-env", output, StringComparison.Ordinal);
    }
}
