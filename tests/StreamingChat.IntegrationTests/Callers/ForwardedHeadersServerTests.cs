using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatbotHost.Cli;

namespace StreamingChat.IntegrationTests;

/// <summary>
/// Whose <c>X-Forwarded-For</c> is believed (<c>StreamingChat:ForwardedHeaders</c>): on loopback, the test is the peer, so
/// a configured network without loopback makes it an untrusted one, and a configured network with it a trusted proxy.
/// </summary>
public sealed class ForwardedHeadersServerTests
{
    private const string Limit = "--StreamingChat:RateLimiting:PermitsPerMinutePerClient=2";

    private static async Task<HttpStatusCode> AskAsync(HostInstance host, string forwardedFor, string sessionId)
    {
        using var response = await host.PostChatAsync("/api/chat/query", new { query = "Hi", chatbotId = "demo", sessionId }, r => r.Headers.Add("X-Forwarded-For", forwardedFor));
        return response.StatusCode;
    }

    [Fact]
    public async Task UntrustedPeer_SpoofedAddressesAreNotBelieved_TheCallerIsCountedAsThePeer_AndValidateConfigSaysSo()
    {
        // A proxy network is configured, and loopback is not in it: the test's own connection is an untrusted peer.
        await using var host = await HostInstance.StartAsync(Limit, "--StreamingChat:ForwardedHeaders:KnownNetworks:0=10.0.0.0/8");

        var statuses = new List<HttpStatusCode>();
        for (var i = 1; i <= 3; i++)
        {
            statuses.Add(await AskAsync(host, $"198.51.100.{i}", $"spoof-{i}"));
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        var details = await host.Client.GetFromJsonAsync<JsonElement>("/api/metrics/streaming");
        var forwarded = details.GetProperty("forwardedHeaders");
        Assert.Equal(3, forwarded.GetProperty("untrustedRequests").GetInt64());
        Assert.Equal(["127.0.0.1"], forwarded.GetProperty("untrustedPeers").EnumerateArray().Select(p => p.GetString()));

        var output = new StringWriter();
        var code = await ChatbotHostCli.RunAsync(["validate-config", "--Logging:LogLevel:Default=None", "--url", host.Address.ToString()], output, new StringWriter());
        Assert.Equal(0, code);
        Assert.Contains("got forwarded headers from peers it does not trust (3 requests, from 127.0.0.1)", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrustedNetwork_EachForwardedAddressIsItsOwnCaller()
    {
        await using var host = await HostInstance.StartAsync(Limit, "--StreamingChat:ForwardedHeaders:KnownNetworks:0=127.0.0.0/8");

        var distinct = new List<HttpStatusCode>();
        for (var i = 1; i <= 3; i++)
        {
            distinct.Add(await AskAsync(host, $"198.51.100.{i}", $"trusted-{i}"));
        }

        var same = new List<HttpStatusCode>();
        for (var i = 1; i <= 3; i++)
        {
            same.Add(await AskAsync(host, "203.0.113.50", $"same-{i}"));
        }

        Assert.All(distinct, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], same);
        var details = await host.Client.GetFromJsonAsync<JsonElement>("/api/metrics/streaming");
        Assert.Equal(0, details.GetProperty("forwardedHeaders").GetProperty("untrustedRequests").GetInt64());
    }

    [Fact]
    public async Task ValidateConfig_ReportsWhoIsBelieved_AndRefusesNetworksThatDoNotParseOrTrustEveryone()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(0, await ChatbotHostCli.RunAsync(["validate-config", "--Logging:LogLevel:Default=None"], output, error));
        Assert.Contains("Forwarded headers: believed from loopback only", output.ToString(), StringComparison.Ordinal);

        output = new StringWriter();
        Assert.Equal(0, await ChatbotHostCli.RunAsync(["validate-config", "--Logging:LogLevel:Default=None", "--StreamingChat:ForwardedHeaders:KnownNetworks:0=10.0.0.0/8", "--StreamingChat:ForwardedHeaders:KnownProxies:0=192.0.2.7"], output, error));
        Assert.Contains("Forwarded headers: believed from 10.0.0.0/8, 192.0.2.7", output.ToString(), StringComparison.Ordinal);

        error = new StringWriter();
        Assert.Equal(1, await ChatbotHostCli.RunAsync(["validate-config", "--Logging:LogLevel:Default=None", "--StreamingChat:ForwardedHeaders:KnownNetworks:0=10.0.0.0/33", "--StreamingChat:ForwardedHeaders:KnownNetworks:1=0.0.0.0/0", "--StreamingChat:ForwardedHeaders:KnownProxies:0=proxy.local"], new StringWriter(), error));
        Assert.Contains("KnownNetworks:0 ('10.0.0.0/33') is not a network", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("KnownNetworks:1 (0.0.0.0/0) trusts every address", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("KnownProxies:0 ('proxy.local') is not an IP address", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateConfig_AnswersSharedThroughRedisButConversationsInMemory_Warns()
    {
        var output = new StringWriter();
        Assert.Equal(0, await ChatbotHostCli.RunAsync(["validate-config", "--Logging:LogLevel:Default=None", "--StreamingChat:Redis:ConnectionString=127.0.0.1:1"], output, new StringWriter()));
        Assert.Contains("Warning: answers are shared through Redis but conversations are kept in each instance's memory", output.ToString(), StringComparison.Ordinal);
    }
}
