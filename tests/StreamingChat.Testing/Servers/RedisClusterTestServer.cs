using System.Globalization;

namespace StreamingChat.Testing;

/// <summary>
/// A three-node Redis Cluster on loopback ports: Debian's <c>redis-server</c> in cluster mode, joined with
/// <c>redis-cli --cluster create</c>, no replicas and no persistence. The same code runs on it as on one Redis when every
/// key a script or transaction touches shares a hash tag.
/// </summary>
public sealed class RedisClusterTestServer : IAsyncDisposable
{
    private readonly List<ServerProcess> _nodes = [];
    private readonly string _folder = Directory.CreateTempSubdirectory("streamingchat-cluster-").FullName;

    private RedisClusterTestServer(int[] ports) => Ports = ports;

    /// <summary>The nodes' ports.</summary>
    public IReadOnlyList<int> Ports { get; }

    /// <summary>A StackExchange.Redis connection string naming every node.</summary>
    public string ConnectionString => string.Join(',', Ports.Select(p => $"127.0.0.1:{p}"));

    /// <summary>Starts three nodes, creates the cluster, and waits until it serves every slot.</summary>
    public static async Task<RedisClusterTestServer> StartAsync()
    {
        var server = new RedisClusterTestServer([TestPorts.Free(), TestPorts.Free(), TestPorts.Free()]);
        try
        {
            await server.StartNodesAsync();
            await server.CreateClusterAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private async Task StartNodesAsync()
    {
        var executable = File.Exists("/usr/bin/redis-server") ? "/usr/bin/redis-server" : "redis-server";
        foreach (var port in Ports)
        {
            var p = port.ToString(CultureInfo.InvariantCulture);
            _nodes.Add(ServerProcess.Start(executable,
            [
                "--port", p, "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--cluster-config-file", Path.Combine(_folder, $"nodes-{p}.conf"),
                "--cluster-node-timeout", "5000", "--dir", _folder, "--save", "", "--appendonly", "no", "--daemonize", "no",
            ]));
        }

        for (var i = 0; i < Ports.Count; i++)
        {
            var node = _nodes[i];
            await TestPorts.WaitUntilListeningAsync(Ports[i], TimeSpan.FromSeconds(20), () => node.HasExited);
        }
    }

    private async Task CreateClusterAsync()
    {
        var cli = File.Exists("/usr/bin/redis-cli") ? "/usr/bin/redis-cli" : "redis-cli";
        using (var create = ServerProcess.Start(cli, ["--cluster", "create", .. Ports.Select(p => $"127.0.0.1:{p}"), "--cluster-replicas", "0", "--cluster-yes"]))
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await create.Process.WaitForExitAsync(timeout.Token);
            if (create.Process.ExitCode != 0)
            {
                throw new InvalidOperationException("redis-cli --cluster create failed:\n" + create.Output);
            }
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var states = new List<string>();
            foreach (var port in Ports)
            {
                using var info = ServerProcess.Start(cli, ["-p", port.ToString(CultureInfo.InvariantCulture), "cluster", "info"]);
                await info.Process.WaitForExitAsync();
                states.Add(info.Output);
            }

            if (states.All(s => s.Contains("cluster_state:ok", StringComparison.Ordinal)))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The Redis Cluster did not reach cluster_state:ok:\n" + string.Join('\n', states));
            }

            await Task.Delay(200);
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            node.Dispose();
        }

        _nodes.Clear();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A node still writing its config: the temp folder is cleaned another day.
        }

        return ValueTask.CompletedTask;
    }
}
