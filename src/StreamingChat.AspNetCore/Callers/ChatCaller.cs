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
internal sealed record ChatCaller(string? UserId, string Address)
{
    /// <summary>Whether the caller is signed in.</summary>
    public bool IsSignedIn => UserId is not null;

    /// <summary>The key the caller's limits are kept under: <c>user:{id}</c> or <c>addr:{address}</c>.</summary>
    public string LimitKey => UserId is null ? "addr:" + Address : "user:" + UserId;

    /// <summary>The owner recorded for a session the signed-in caller starts.</summary>
    internal string? UserOwner => UserId is null ? null : "user:" + UserId;
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

        caller = new ChatCaller(UserId(context.User), AddressKey(context));
        context.Items[ItemKey] = caller;
        return caller;
    }

    /// <summary>The signed-in user's id from any identity but the admin key's; null when nobody is signed in.</summary>
    internal static string? UserId(ClaimsPrincipal user)
    {
        foreach (var identity in user.Identities)
        {
            if (!identity.IsAuthenticated || identity.AuthenticationType == StreamingChatAdmin.AuthenticationScheme)
            {
                continue;
            }

            var id = identity.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? identity.FindFirst("sub")?.Value ?? identity.Name;
            if (!string.IsNullOrEmpty(id))
            {
                return id;
            }
        }

        return null;
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
