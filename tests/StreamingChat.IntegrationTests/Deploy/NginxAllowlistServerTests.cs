using System.Net;
using System.Net.Sockets;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>The shipped nginx configuration lets operator reads through only from its allowlist; chat and health stay open.</summary>
public sealed class NginxAllowlistServerTests
{
    [Fact]
    public async Task OperatorReads_OnlyFromTheAllowlist_ChatAndHealthFromAnywhere()
    {
        await using var host = await HostInstance.StartAsync();
        var site = await File.ReadAllTextAsync(Path.Combine(TestPorts.RepositoryRoot, "deploy", "nginx-streaming.conf"));
        var nginxPort = TestPorts.Free();
        site = site.Replace("127.0.0.1:5001", $"{host.Address.Host}:{host.Address.Port}", StringComparison.Ordinal)
            .Replace("    server 127.0.0.1:5002 max_fails=0;\n", "", StringComparison.Ordinal)
            .Replace("listen 8080;", $"listen 127.0.0.1:{nginxPort};", StringComparison.Ordinal);
        await using var nginx = await NginxTestServer.StartAsync(site, nginxPort);
        using var allowed = new HttpClient { BaseAddress = nginx.Address };
        using var elsewhere = From(IPAddress.Parse("127.0.0.2"), nginx.Address);

        foreach (var path in new[] { "/api/metrics/streaming/summary", "/api/metrics/feature-flags", "/metrics" })
        {
            using var fromOperator = await allowed.GetAsync(path);
            using var fromElsewhere = await elsewhere.GetAsync(path);
            Assert.Equal((path, HttpStatusCode.OK), (path, fromOperator.StatusCode));
            Assert.Equal((path, HttpStatusCode.Forbidden), (path, fromElsewhere.StatusCode));
        }

        using var health = await elsewhere.GetAsync("/api/metrics/health/streaming");
        using var chat = await elsewhere.PostAsync("/api/chat/query", System.Net.Http.Json.JsonContent.Create(new { query = "Hi", chatbotId = "demo" }));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
    }

    /// <summary>A client whose connections come from <paramref name="local"/>: another loopback address than the allowlisted one.</summary>
    private static HttpClient From(IPAddress local, Uri baseAddress) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(local, 0));
                await socket.ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    { BaseAddress = baseAddress };
}
