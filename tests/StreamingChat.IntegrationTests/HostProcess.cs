using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace StreamingChat.IntegrationTests;

/// <summary>The sample host's built <c>ChatbotHost.dll</c> run as its own process, as an operator runs it.</summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private HostProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
        process.OutputDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Where the host listens.</summary>
    public Uri Address { get; }

    /// <summary>What the process printed so far.</summary>
    public string Output { get { lock (_output) { return _output.ToString(); } } }

    /// <summary>The folder of the built sample host, of the same configuration as these tests.</summary>
    public static string HostDirectory
    {
        get
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "StreamingChat.sln")))
            {
                root = root.Parent;
            }

            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
            return Path.Combine(root!.FullName, "samples", "ChatbotHost", "bin", configuration, "net10.0");
        }
    }

    /// <summary>Runs <c>dotnet ChatbotHost.dll</c> with <paramref name="args"/> and waits for it to exit.</summary>
    public static async Task<(int ExitCode, string Output)> RunToEndAsync(params string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        return (process.ExitCode, await output + await error);
    }

    /// <summary>Starts the host on a free loopback port and waits until it answers HTTP.</summary>
    public static async Task<HostProcess> StartAsync(params string[] args)
    {
        var port = FreePort();
        var process = Process.Start(StartInfo([$"--urls=http://127.0.0.1:{port}", .. args]))!;
        var host = new HostProcess(process, new Uri($"http://127.0.0.1:{port}"));
        using var client = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            try
            {
                using var response = await client.GetAsync("/");
                return host;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet, or too busy starting to answer within the client's timeout: ask again.
                await Task.Delay(100);
            }
        }

        var output = host.Output;
        await host.DisposeAsync();
        throw new InvalidOperationException("The host did not start:\n" + output);
    }

    /// <summary>Sends SIGTERM, as systemd does on stop, and waits for the exit code.</summary>
    public async Task<int> TerminateAsync()
    {
        await SignalTerminateAsync();
        return await WaitForExitAsync();
    }

    /// <summary>Sends SIGTERM without waiting for the exit.</summary>
    public async Task SignalTerminateAsync()
    {
        using var kill = Process.Start("bash", ["-c", $"kill -TERM {_process.Id}"]);
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Kills the process with SIGKILL, as a crash or an OOM kill does: nothing of it runs after this.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
    }

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        return _process.ExitCode;
    }

    private static ProcessStartInfo StartInfo(string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = HostDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(HostDirectory, "ChatbotHost.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("OPENAI_API_KEY");
        info.Environment["DOTNET_NOLOGO"] = "1";
        return info;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
