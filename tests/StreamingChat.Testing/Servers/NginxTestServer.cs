namespace StreamingChat.Testing;

/// <summary>
/// A real nginx (Debian's, installed by <c>eng/install-deps.sh</c>) run in the foreground with a prefix folder of its own,
/// serving an http-context configuration the test gives (for example <c>deploy/nginx-streaming.conf</c> with its ports
/// changed).
/// </summary>
public sealed class NginxTestServer : IAsyncDisposable
{
    private readonly ServerProcess _process;
    private readonly string _folder;

    private NginxTestServer(ServerProcess process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Port = port;
    }

    /// <summary>The port it listens on (127.0.0.1).</summary>
    public int Port { get; }

    /// <summary>Its address.</summary>
    public Uri Address => new($"http://127.0.0.1:{Port}");

    /// <summary>What nginx wrote to its error log.</summary>
    public string ErrorLog => File.Exists(Path.Combine(_folder, "error.log")) ? File.ReadAllText(Path.Combine(_folder, "error.log")) : "";

    /// <summary>
    /// Starts nginx with <paramref name="httpConfig"/> (the contents of an http-context include) listening on the port
    /// <paramref name="port"/>, which the configuration must use.
    /// </summary>
    public static async Task<NginxTestServer> StartAsync(string httpConfig, int port)
    {
        var executable = File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
        var folder = Directory.CreateTempSubdirectory("streamingchat-nginx-").FullName;
        foreach (var temp in new[] { "body", "proxy", "fastcgi", "uwsgi", "scgi" })
        {
            var path = Directory.CreateDirectory(Path.Combine(folder, temp)).FullName;
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, (UnixFileMode)0x1FF); // workers may run as nobody when the tests run as root
            }
        }

        File.WriteAllText(Path.Combine(folder, "site.conf"), httpConfig);
        File.WriteAllText(Path.Combine(folder, "nginx.conf"), $$"""
            daemon off;
            worker_processes 1;
            pid {{folder}}/nginx.pid;
            error_log {{folder}}/error.log info;
            events { worker_connections 1024; }
            http {
                access_log {{folder}}/access.log;
                client_body_temp_path {{folder}}/body;
                proxy_temp_path {{folder}}/proxy;
                fastcgi_temp_path {{folder}}/fastcgi;
                uwsgi_temp_path {{folder}}/uwsgi;
                scgi_temp_path {{folder}}/scgi;
                include {{folder}}/site.conf;
            }
            """);

        ServerProcess process;
        try
        {
            process = ServerProcess.Start(executable, ["-p", folder, "-c", Path.Combine(folder, "nginx.conf"), "-e", Path.Combine(folder, "error.log")]);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("nginx is not installed; run 'bash eng/install-deps.sh' (the README's test command does).", ex);
        }

        var server = new NginxTestServer(process, folder, port);
        try
        {
            await TestPorts.WaitUntilListeningAsync(port, TimeSpan.FromSeconds(20), () => process.HasExited);
        }
        catch (TimeoutException)
        {
            var log = process.Output + server.ErrorLog;
            await server.DisposeAsync();
            throw new InvalidOperationException("nginx did not start:\n" + log);
        }

        return server;
    }

    /// <summary>The access log's lines.</summary>
    public IReadOnlyList<string> AccessLog()
    {
        var path = Path.Combine(_folder, "access.log");
        return File.Exists(path) ? File.ReadAllLines(path) : [];
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Left for the system to clean.
        }
        catch (UnauthorizedAccessException)
        {
            // Left for the system to clean.
        }

        return ValueTask.CompletedTask;
    }
}
