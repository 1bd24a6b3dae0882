using StreamingChat.Testing;

namespace StreamingChat.AspNetCore.Tests;

public sealed class AdminKeyVerifierTests
{
    private const string KeyOne = "0f4c9a7e2b1d8c3f6a5e9b0d7c2a4f1e";
    private const string KeyTwo = "9d2e7b4a1c6f3e8d5b0a9c7e2f4d1b6a";

    private static (AdminKeyResult Result, string? Name) Verify(string? presented, params string[] keys)
        => new AdminKeyVerifier(new StaticOptionsMonitor<AdminOptions>(new AdminOptions { ApiKeys = [.. keys], NamedApiKeys = new() { ["alice"] = KeyTwo + "-alice" } })).Verify(presented);

    [Fact]
    public void Verify_NoKeyConfigured_IsDisabledWhateverIsPresented()
    {
        var none = new AdminKeyVerifier(new StaticOptionsMonitor<AdminOptions>(new AdminOptions()));
        Assert.Equal(AdminKeyResult.Disabled, none.Verify("anything").Result);
        Assert.Equal(AdminKeyResult.Disabled, none.Verify(null).Result);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("wrong")]
    [InlineData(KeyOne + " ")]
    [InlineData("0F4C9A7E2B1D8C3F6A5E9B0D7C2A4F1E")]
    public void Verify_MissingOrWrongKey_IsUnauthorized(string? presented)
        => Assert.Equal((AdminKeyResult.Unauthorized, null), Verify(presented, KeyOne, KeyTwo));

    [Fact]
    public void Verify_AnyConfiguredKey_IsAccepted_WithItsName()
    {
        Assert.Equal((AdminKeyResult.Accepted, "admin"), Verify(KeyOne, KeyOne, KeyTwo));
        Assert.Equal((AdminKeyResult.Accepted, "admin"), Verify(KeyTwo, KeyOne, KeyTwo));
        Assert.Equal((AdminKeyResult.Accepted, "alice"), Verify(KeyTwo + "-alice", KeyOne));
    }

    [Theory]
    [InlineData("", "is blank")]
    [InlineData("   ", "is blank")]
    [InlineData("short-but-random-7f3a", "needs at least 32")]
    [InlineData("change-me-change-me-change-me-change-me", "placeholder")]
    [InlineData("your-admin-key-goes-here-0123456789", "placeholder")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "placeholder")]
    public void Validator_BlankShortOrPlaceholderKeys_FailNamingThePlaceNotTheKey(string key, string expected)
    {
        var result = new AdminOptionsValidator().Validate(null, new AdminOptions { ApiKeys = [KeyOne, key] });

        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures!);
        Assert.Contains("StreamingChat:Admin:ApiKeys:1", failure, StringComparison.Ordinal);
        Assert.Contains(expected, failure, StringComparison.Ordinal);
        if (key.Trim().Length > 0)
        {
            Assert.DoesNotContain(key, failure, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Validator_RandomKeys_Pass()
        => Assert.False(new AdminOptionsValidator().Validate(null, new AdminOptions { ApiKeys = [KeyOne], NamedApiKeys = new() { ["ops"] = KeyTwo } }).Failed);
}
