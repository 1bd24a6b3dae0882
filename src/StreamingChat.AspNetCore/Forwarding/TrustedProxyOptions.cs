using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.Extensions.Options;

namespace StreamingChat.AspNetCore;

/// <summary>
/// The proxies whose <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> are believed, bound from
/// <c>StreamingChat:ForwardedHeaders</c>. The client's address they give is who an anonymous caller is: its limits, the
/// admin key's failed attempts, the logs. Loopback only while both lists are empty (a proxy on the same machine, as the
/// shipped nginx); once either is set, exactly what they list (add <c>127.0.0.0/8</c> to keep a local proxy too).
/// </summary>
public sealed class TrustedProxyOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "StreamingChat:ForwardedHeaders";

    /// <summary>Networks of trusted proxies in CIDR notation (<c>10.0.0.0/8</c>, <c>fd00::/8</c>): a Kubernetes pod network, a load balancer's subnet.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>Addresses of single trusted proxies (<c>10.1.2.3</c>).</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>How many proxies in a row are believed, from the nearest (default 1); one more than the chain of proxies lets a client write the first address.</summary>
    [Range(1, 10)]
    public int ForwardLimit { get; set; } = 1;

    /// <summary>Whether anything is configured (else loopback is trusted, the framework's default).</summary>
    internal bool IsConfigured => KnownNetworks.Count > 0 || KnownProxies.Count > 0;

    /// <summary>The networks, parsed; <see cref="TrustedProxyOptionsValidator"/> has refused any that does not parse.</summary>
    internal IEnumerable<IPNetwork> Networks => KnownNetworks.Select(n => IPNetwork.Parse(n.Trim()));

    /// <summary>The addresses, parsed.</summary>
    internal IEnumerable<IPAddress> Proxies => KnownProxies.Select(p => IPAddress.Parse(p.Trim()));
}

/// <summary>Refuses networks and addresses that do not parse, and a network that trusts every client.</summary>
internal sealed class TrustedProxyOptionsValidator : IValidateOptions<TrustedProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, TrustedProxyOptions options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.KnownNetworks.Count; i++)
        {
            if (!IPNetwork.TryParse(options.KnownNetworks[i].Trim(), out var network))
            {
                failures.Add($"{TrustedProxyOptions.SectionName}:KnownNetworks:{i} ('{options.KnownNetworks[i]}') is not a network in CIDR notation, such as 10.0.0.0/8.");
            }
            else if (network.PrefixLength == 0)
            {
                failures.Add($"{TrustedProxyOptions.SectionName}:KnownNetworks:{i} ({network}) trusts every address: any client could say it is any other.");
            }
        }

        for (var i = 0; i < options.KnownProxies.Count; i++)
        {
            if (!IPAddress.TryParse(options.KnownProxies[i].Trim(), out _))
            {
                failures.Add($"{TrustedProxyOptions.SectionName}:KnownProxies:{i} ('{options.KnownProxies[i]}') is not an IP address.");
            }
        }

        if (options.ForwardLimit is < 1 or > 10)
        {
            failures.Add($"{TrustedProxyOptions.SectionName}:ForwardLimit must be from 1 to 10.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
