using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace StreamingChat.AspNetCore;

/// <summary>
/// Notices forwarded headers that were not believed: after the forwarded-headers middleware, an <c>X-Forwarded-For</c>
/// still on the request came from a peer that is not a trusted proxy. Either a client is trying to pass for another, or a
/// proxy in front is missing from <see cref="TrustedProxyOptions"/> and every caller behind it counts as that proxy. Each such
/// peer is logged once (a warning, never the header's value), and all are counted for <c>validate-config</c>'s report.
/// </summary>
internal sealed class UntrustedForwardedHeaders(ILogger<UntrustedForwardedHeaders> logger)
{
    private const int MaxPeersRemembered = 1000;
    private readonly ConcurrentDictionary<string, byte> _peers = new(StringComparer.Ordinal);
    private long _requests;

    /// <summary>Requests that carried forwarded headers from an untrusted peer since start.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Some of the peers they came from (at most a thousand).</summary>
    public IReadOnlyCollection<string> Peers => [.. _peers.Keys];

    /// <summary>Looks at one request, after the forwarded-headers middleware ran.</summary>
    public void Observe(HttpContext context)
    {
        if (!context.Request.Headers.ContainsKey("X-Forwarded-For"))
        {
            return;
        }

        Interlocked.Increment(ref _requests);
        var peer = context.Connection.RemoteIpAddress is { } address ? Normalized(address) : "unknown";
        if (_peers.Count < MaxPeersRemembered && _peers.TryAdd(peer, 0))
        {
            ForwardingLog.UntrustedPeer(logger, peer);
        }
    }

    private static string Normalized(IPAddress address) => (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
}

/// <summary>The web package's log messages about forwarded headers: event ids 2250–2259.</summary>
internal static partial class ForwardingLog
{
    [LoggerMessage(2251, LogLevel.Warning, "Forwarded headers from {Peer} were not believed: it is not a trusted proxy (StreamingChat:ForwardedHeaders). If it is your proxy, every caller behind it counts as one address; add it to KnownNetworks or KnownProxies.")]
    public static partial void UntrustedPeer(ILogger logger, string peer);
}
