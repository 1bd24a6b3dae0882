using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.Rollout.Tests;

public sealed class AdminKeyVerifierTests
{
    private static AdminKeyResult Verify(string? presented, params string[] keys)
        => new AdminKeyVerifier(new StaticOptionsMonitor<AdminOptions>(new AdminOptions { ApiKeys = [.. keys] })).Verify(presented);

    [Fact]
    public void Verify_NoKeyConfigured_IsDisabledWhateverIsPresented()
    {
        Assert.Equal(AdminKeyResult.Disabled, Verify("anything"));
        Assert.Equal(AdminKeyResult.Disabled, Verify(null, ""));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("wrong")]
    [InlineData("key-one ")]
    [InlineData("KEY-ONE")]
    public void Verify_MissingOrWrongKey_IsUnauthorized(string? presented)
        => Assert.Equal(AdminKeyResult.Unauthorized, Verify(presented, "key-one", "key-two"));

    [Fact]
    public void Verify_AnyConfiguredKey_IsAccepted()
    {
        Assert.Equal(AdminKeyResult.Accepted, Verify("key-one", "key-one", "key-two"));
        Assert.Equal(AdminKeyResult.Accepted, Verify("key-two", "key-one", "key-two"));
    }
}
