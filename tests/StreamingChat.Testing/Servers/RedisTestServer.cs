namespace StreamingChat.Testing;

/// <summary>
/// A real Redis (Debian's <c>redis-server</c>, installed by <c>eng/install-deps.sh</c>) on a loopback port of its own,
/// without persistence. It can be stopped and started again on the same port, to test what Redis away does.
/// </summary>
public sealed class RedisTestServer : IAsyncDisposable
{
    private ServerProcess? _process;

    private RedisTestServer(int port) => Port = port;

    /// <summary>The port.</summary>
    public int Port { get; }

    /// <summary>A StackExchange.Redis connection string for it.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>Whether it is running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts a Redis on a free port.</summary>
    public static async Task<RedisTestServer> StartAsync()
    {
        var server = new RedisTestServer(TestPorts.Free());
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts it again (on the same port) after <see cref="StopAsync"/>.</summary>
    public async Task StartAgainAsync()
    {
        if (IsRunning)
        {
            return;
        }

        var executable = File.Exists("/usr/bin/redis-server") ? "/usr/bin/redis-server" : "redis-server";
        try
        {
            _process = ServerProcess.Start(executable, ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"]);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("redis-server is not installed; run 'bash eng/install-deps.sh' (the README's test command does).", ex);
        }

        var process = _process;
        try
        {
            await TestPorts.WaitUntilListeningAsync(Port, TimeSpan.FromSeconds(20), () => process.HasExited);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException("redis-server did not start:\n" + process.Output);
        }
    }

    /// <summary>Stops it (SIGKILL: as abrupt as a crash or a network cut).</summary>
    public Task StopAsync()
    {
        _process?.Dispose();
        _process = null;
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _process?.Dispose();
        _process = null;
        return ValueTask.CompletedTask;
    }
}
