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
    public async Task ValidateConfig_TheProvider_IsOneOfTheHostsProviderClasses_NamedWithoutCase()
    {
        // ModelProviders/: one class each, found at start-up.
        Assert.Equal(["Offline", "OpenAI"], ChatbotHost.ModelProvider.All.Select(p => p.Name));

        var (lowerCode, lowerOutput, _) = await RunAsync("--StreamingChat:Model:Provider=offline");
        Assert.Equal(0, lowerCode);
        Assert.Contains("Model provider: Offline", lowerOutput, StringComparison.Ordinal);

        var (code, _, error) = await RunAsync("--StreamingChat:Model:Provider=Nope");
        Assert.Equal(1, code);
        Assert.Contains("StreamingChat:Model:Provider must be one of 'Offline', 'OpenAI'", error, StringComparison.Ordinal);
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

    [Fact]
    public async Task ValidateConfig_ReportsTheOwnershipMode_AndWarnsForNoneOutsideDevelopment()
    {
        var (keyCode, keyOutput, _) = await RunAsync();
        var (noneCode, noneOutput, _) = await RunAsync("--StreamingChat:Sessions:Ownership=None");
        var (devCode, devOutput, _) = await RunAsync("--StreamingChat:Sessions:Ownership=None", "--environment=Development");

        Assert.Equal((0, 0, 0), (keyCode, noneCode, devCode));
        Assert.Contains("Sessions: owned by the holder of the session key", keyOutput, StringComparison.Ordinal);
        Assert.Contains("Sessions: owned by nobody", noneOutput, StringComparison.Ordinal);
        Assert.Contains("Warning: StreamingChat:Sessions:Ownership is None outside Development", noneOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Warning", devOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--StreamingChat:Admin:ApiKeys:0=short-key", "needs at least 32")]
    [InlineData("--StreamingChat:Admin:ApiKeys:0= ", "is blank")]
    [InlineData("--StreamingChat:Admin:ApiKeys:0=change-me-change-me-change-me-change-me", "placeholder")]
    [InlineData("--StreamingChat:Sessions:Ownership=Anyone", "Ownership")]
    public async Task ValidateConfig_WeakAdminKeysAndUnknownModes_FailWithAClearMessage(string setting, string expected)
    {
        var (code, output, error) = await RunAsync(setting);

        Assert.Equal(1, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("change-me", error + output, StringComparison.Ordinal);
        Assert.DoesNotContain("short-key", error + output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartUp_WithAShortAdminKey_Fails()
        => await Assert.ThrowsAnyAsync<Exception>(async () => await HostInstance.StartAsync("--StreamingChat:Admin:ApiKeys:0=short-key"));
}
