using System.Net;
using System.Security.Claims;

namespace StreamingChat.AspNetCore.Tests;

public sealed class ChatCallersTests
{
    [Theory]
    [InlineData("2001:db8::1", "2001:db8::/64")]
    [InlineData("2001:db8::ffff:1234", "2001:db8::/64")]
    [InlineData("2001:db8:0:1::1", "2001:db8:0:1::/64")]
    [InlineData("203.0.113.5", "203.0.113.5")]
    [InlineData("::ffff:203.0.113.5", "203.0.113.5")]
    public void AddressKey_CountsIPv6PerSlash64_AndIPv4AsItself(string address, string expected)
        => Assert.Equal(expected, ChatCallers.AddressKey(IPAddress.Parse(address)));

    [Fact]
    public void UserId_IgnoresTheAdminKeysIdentity_AndReadsSubWithoutNameIdentifier()
    {
        var admin = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "admin")], StreamingChatAdmin.AuthenticationScheme));
        var jwt = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "alice")], "Bearer"));
        var anonymous = new ClaimsPrincipal(new ClaimsIdentity());

        Assert.Null(ChatCallers.UserId(admin));
        Assert.Equal("alice", ChatCallers.UserId(jwt));
        Assert.Null(ChatCallers.UserId(anonymous));
        Assert.Equal("user:alice@issuer-a", new ChatCaller("alice", "203.0.113.5", "issuer-a").LimitKey);
        Assert.Equal("addr:203.0.113.5", new ChatCaller(null, "203.0.113.5").LimitKey);
    }

    [Fact]
    public void SignedIn_KeysTheUserOnIssuerAndSubject_SoNoTwoPairsReadAlike()
    {
        var fromA = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "alice", ClaimValueTypes.String, "https://a.example")], "Bearer"));
        var fromB = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "alice", ClaimValueTypes.String, "https://b.example")], "Bearer"));

        Assert.Equal(("alice", "https://a.example"), ChatCallers.SignedIn(fromA));
        Assert.NotEqual(Caller(fromA).UserOwner, Caller(fromB).UserOwner);
        Assert.NotEqual(Caller(fromA).LimitKey, Caller(fromB).LimitKey);

        // The issuer is escaped: a subject with '@' cannot pass for another issuer's user.
        Assert.NotEqual(new ChatCaller("a@b", "x", "c").UserOwner, new ChatCaller("a", "x", "b@c").UserOwner);
    }

    private static ChatCaller Caller(ClaimsPrincipal user)
    {
        var (id, issuer) = ChatCallers.SignedIn(user);
        return new ChatCaller(id, "203.0.113.5", issuer);
    }
}
