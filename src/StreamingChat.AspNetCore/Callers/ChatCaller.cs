using System.Net;
using System.Net.Sockets;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;

namespace StreamingChat.AspNetCore;

/// <summary>
/// Who sent a request: the signed-in user (any authentication scheme the application configured, except the admin key's),
/// else an anonymous client known by its address. Limits are kept per caller (<see cref="LimitKey"/>): per user, else per
/// address, with an IPv6 address counted per /64 (one subscriber's whole prefix), because session keys cost nothing to mint.
/// </summary>
/// <param name="UserId">The signed-in user's id (<c>NameIdentifier</c>, else <c>sub</c>, else the name); null when anonymous.</param>
/// <param name="Address">The client's address as counted for limits: IPv4, or an IPv6 /64 prefix.</param>
/// <param name="Issuer">Who vouched for <paramref name="UserId"/>: its claim's issuer (a token's <c>iss</c>); null when anonymous.</param>
internal sealed record ChatCaller(string? UserId, string Address, string? Issuer = null)
{
    /// <summary>Whether the caller is signed in.</summary>
    public bool IsSignedIn => UserId is not null;

    /// <summary>
    /// The signed-in user as the service knows them: the id and its issuer (escaped, so no two pairs read alike), since two
    /// issuers may each have a user of the same id. Null when anonymous.
    /// </summary>
    internal string? UserKey => UserId is null ? null : UserId + "@" + Uri.EscapeDataString(Issuer ?? "");

    /// <summary>The key the caller's limits are kept under: <c>user:{id}@{issuer}</c> or <c>addr:{address}</c>.</summary>
    public string LimitKey => UserKey is { } user ? "user:" + user : "addr:" + Address;

    /// <summary>The owner recorded for a session the signed-in caller starts: <c>user:{id}@{issuer}</c>.</summary>
    internal string? UserOwner => UserKey is { } user ? "user:" + user : null;
}

/// <summary>Resolves the <see cref="ChatCaller"/> of a request: the one place that says who a caller is.</summary>
internal static class ChatCallers
{
    private const string ItemKey = "StreamingChat.Caller";

    public static ChatCaller Resolve(HttpContext context)
    {
        if (context.Items.TryGetValue(ItemKey, out var cached) && cached is ChatCaller caller)
        {
            return caller;
        }

        var (userId, issuer) = SignedIn(context.User);
        caller = new ChatCaller(userId, AddressKey(context), issuer);
        context.Items[ItemKey] = caller;
        return caller;
    }

    /// <summary>The signed-in user's id from any identity but the admin key's; null when nobody is signed in.</summary>
    internal static string? UserId(ClaimsPrincipal user) => SignedIn(user).UserId;

    /// <summary>The signed-in user's id and the issuer of the claim it came from; nulls when nobody is signed in.</summary>
    internal static (string? UserId, string? Issuer) SignedIn(ClaimsPrincipal user)
    {
        foreach (var identity in user.Identities)
        {
            if (!identity.IsAuthenticated || identity.AuthenticationType == StreamingChatAdmin.AuthenticationScheme)
            {
                continue;
            }

            var claim = identity.FindFirst(ClaimTypes.NameIdentifier) ?? identity.FindFirst("sub");
            if (claim is { Value.Length: > 0 })
            {
                return (claim.Value, claim.Issuer);
            }

            if (!string.IsNullOrEmpty(identity.Name))
            {
                return (identity.Name, identity.FindFirst(identity.NameClaimType)?.Issuer);
            }
        }

        return (null, null);
    }

    /// <summary>The client's address as limits count it: IPv4 (also when mapped into IPv6), or the IPv6 /64 prefix.</summary>
    internal static string AddressKey(HttpContext context) => AddressKey(context.Connection.RemoteIpAddress);

    internal static string AddressKey(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }
}
