namespace StreamingChat.Testing;

/// <summary>
/// A MongoDB for tests. When <c>STREAMINGCHAT_TEST_MONGO</c> holds a URI, that server (a real <c>mongod</c>) is used;
/// otherwise the MongoDB wire-compatible server of the npm package <c>@jongodb/memory-server-bin-linux-x64-gnu</c>
/// (installed into <c>.tools/test-servers</c> by <c>eng/install-deps.sh</c>) is started on a free loopback port. That
/// server has no <c>drop</c> or <c>listCollections</c>, so tests keep apart by each using a database of its own
/// (<see cref="NewDatabaseName"/>).
/// </summary>
public sealed class MongoTestServer : IAsyncDisposable
{
    /// <summary>The environment variable that names a real MongoDB for the tests.</summary>
    public const string EnvironmentVariable = "STREAMINGCHAT_TEST_MONGO";

    private const string PackagePath = ".tools/test-servers/node_modules/@jongodb/memory-server-bin-linux-x64-gnu/bin/jongodb";

    private readonly ServerProcess? _process;

    private MongoTestServer(string uri, ServerProcess? process)
    {
        Uri = uri;
        _process = process;
    }

    /// <summary>The server's URI, without a database.</summary>
    public string Uri { get; }

    /// <summary>Whether this is a real MongoDB named by <c>STREAMINGCHAT_TEST_MONGO</c>.</summary>
    public bool IsExternal => _process is null;

    /// <summary>Starts the server, or uses the one <c>STREAMINGCHAT_TEST_MONGO</c> names.</summary>
    public static Task<MongoTestServer> StartAsync()
    {
        var external = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrWhiteSpace(external) ? StartOwnAsync(TestPorts.Free()) : Task.FromResult(new MongoTestServer(external, null));
    }

    /// <summary>
    /// Starts a server of this process's own on <paramref name="port"/>, whatever <c>STREAMINGCHAT_TEST_MONGO</c> says: for
    /// tests that stop the server and start it again (it keeps its data in memory, so it comes back empty).
    /// </summary>
    public static async Task<MongoTestServer> StartOwnAsync(int port)
    {
        var executable = Path.Combine(TestPorts.RepositoryRoot, PackagePath);
        if (!File.Exists(executable))
        {
            throw new InvalidOperationException($"The MongoDB test server is not installed at {executable}; run 'bash eng/install-deps.sh' (the README's test command does).");
        }

        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = ServerProcess.Start(executable, [$"--port={port}"]);
        process.Line += line =>
        {
            if (line.StartsWith("JONGODB_URI=", StringComparison.Ordinal))
            {
                ready.TrySetResult(line["JONGODB_URI=".Length..].Trim());
            }
        };
        process.Process.EnableRaisingEvents = true;
        process.Process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("The MongoDB test server exited:\n" + process.Output));
        if (process.Output.Contains("JONGODB_URI=", StringComparison.Ordinal))
        {
            ready.TrySetResult($"mongodb://127.0.0.1:{port}/test");
        }

        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch
        {
            process.Dispose();
            throw;
        }

        return new MongoTestServer($"mongodb://127.0.0.1:{port}", process);
    }

    /// <summary>A database name no other test uses.</summary>
    public static string NewDatabaseName(string purpose) => $"sc_{purpose}_{Guid.NewGuid():N}"[..Math.Min(60, 4 + purpose.Length + 32)];

    /// <summary>A connection string for <paramref name="database"/> on this server (query options of the URI kept).</summary>
    public string ConnectionString(string database)
    {
        var query = Uri.IndexOf('?', StringComparison.Ordinal);
        var (head, options) = query < 0 ? (Uri, "") : (Uri[..query], Uri[query..]);
        var scheme = head.IndexOf("://", StringComparison.Ordinal) + 3;
        var slash = head.IndexOf('/', scheme);
        var hosts = slash < 0 ? head : head[..slash];
        return $"{hosts}/{database}{options}";
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _process?.Dispose();
        return ValueTask.CompletedTask;
    }
}
