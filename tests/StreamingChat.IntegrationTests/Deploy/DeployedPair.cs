using System.Diagnostics;
using System.Globalization;
using System.Text;
using StreamingChat.Testing;
using Xunit.Abstractions;

namespace StreamingChat.IntegrationTests;

/// <summary>
/// The deployment as the runbook has it, with real processes: two instances of the built host started as systemd would
/// (scripts that start and restart one instance), deploy/nginx-streaming.conf in a real nginx in front of them, and
/// deploy/rolling-restart.sh to restart both one at a time.
/// </summary>
internal sealed class DeployedPair(ITestOutputHelper output, IReadOnlyList<string> hostSettings) : IAsyncDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("streamingchat-deploy-").FullName;

    /// <summary>The instances' ports.</summary>
    public int[] Ports { get; } = [TestPorts.Free(), TestPorts.Free()];

    /// <summary>The shipped nginx site with these instances' ports, once started.</summary>
    public string Site { get; private set; } = "";

    /// <summary>Starts both instances and waits until they are ready.</summary>
    public async Task StartAsync()
    {
        WriteInstanceScripts();
        foreach (var port in Ports)
        {
            Assert.Equal(0, await RunAsync("bash", Path.Combine(_folder, "start-instance.sh"), Number(port)));
        }

        foreach (var port in Ports)
        {
            await WaitReadyAsync(port);
        }
    }

    /// <summary>Starts nginx with deploy/nginx-streaming.conf, pointed at the instances.</summary>
    public async Task<NginxTestServer> StartNginxAsync()
    {
        var site = await File.ReadAllTextAsync(Path.Combine(TestPorts.RepositoryRoot, "deploy", "nginx-streaming.conf"));
        var nginxPort = TestPorts.Free();
        Site = site.Replace("127.0.0.1:5001", $"127.0.0.1:{Ports[0]}", StringComparison.Ordinal)
            .Replace("127.0.0.1:5002", $"127.0.0.1:{Ports[1]}", StringComparison.Ordinal)
            .Replace("listen 8080;", $"listen 127.0.0.1:{nginxPort};", StringComparison.Ordinal);
        return await NginxTestServer.StartAsync(Site, nginxPort);
    }

    /// <summary>Runs deploy/rolling-restart.sh over both instances; returns its exit code.</summary>
    public Task<int> RollingRestartAsync() => RunAsync(
        "bash",
        Path.Combine(TestPorts.RepositoryRoot, "deploy", "rolling-restart.sh"),
        "--ports", string.Join(' ', Ports), "--restart", $"bash {Path.Combine(_folder, "restart-instance.sh")} {{port}}", "--ready-timeout", "60");

    /// <summary>The process id of the instance on <paramref name="port"/> now.</summary>
    public int ReadPid(int port) => int.Parse(File.ReadAllText(Path.Combine(_folder, $"instance-{port}.pid")).Trim(), CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        foreach (var port in Ports)
        {
            var pidFile = Path.Combine(_folder, $"instance-{port}.pid");
            if (File.Exists(pidFile) && int.TryParse(await File.ReadAllTextAsync(pidFile), out var pid))
            {
                try
                {
                    using var process = Process.GetProcessById(pid);
                    process.Kill(entireProcessTree: true);
                }
                catch (ArgumentException)
                {
                    // Already gone.
                }
            }
        }
    }

    /// <summary>Scripts that start and restart one instance as systemd would: SIGTERM, wait for the drain and the exit, start.</summary>
    private void WriteInstanceScripts()
    {
        var host = Path.Combine(HostProcess.HostDirectory, "ChatbotHost.dll");
        var start = new StringBuilder()
            .AppendLine("#!/usr/bin/env bash")
            .AppendLine("set -euo pipefail")
            .AppendLine("port=$1")
            .AppendLine($"cd '{HostProcess.HostDirectory}'")
            .AppendLine("DOTNET_NOLOGO=1 setsid nohup dotnet '" + host + "' --urls=http://127.0.0.1:$port \\")
            .AppendLine("  --StreamingChat:Model:Provider=Offline --StreamingChat:Model:Offline:FirstTokenDelayMs=30 --StreamingChat:Model:Offline:TokenIntervalMs=10 \\")
            .AppendLine("  --StreamingChat:RateLimiting:PermitsPerMinutePerClient=0 --StreamingChat:RateLimiting:PermitsPerMinutePerSession=0 --StreamingChat:RateLimiting:MaxConcurrentAnswersPerAddress=0 \\")
            .AppendLine("  --StreamingChat:Drain:TimeoutSeconds=20 --StreamingChat:Health:MaxCpuShare=1 --Logging:LogLevel:Default=Warning \\")
            .AppendLine(string.Concat(hostSettings.Select(s => $"  '{s}' \\\n")) + $"  >> \"{_folder}/instance-$port.log\" 2>&1 < /dev/null &")
            .AppendLine($"echo $! > \"{_folder}/instance-$port.pid\"")
            .ToString();
        File.WriteAllText(Path.Combine(_folder, "start-instance.sh"), start);
        var restart = new StringBuilder()
            .AppendLine("#!/usr/bin/env bash")
            .AppendLine("set -euo pipefail")
            .AppendLine("port=$1")
            .AppendLine($"pid=$(cat \"{_folder}/instance-$port.pid\")")
            .AppendLine("kill -TERM \"$pid\"")
            .AppendLine("# Wait for the drain and the exit (a zombie left to a parent that does not reap counts as gone).")
            .AppendLine("while [ -e /proc/$pid ] && ! grep -q '^[0-9]* ([^)]*) Z' /proc/$pid/stat 2>/dev/null; do sleep 0.1; done")
            .AppendLine($"bash '{_folder}/start-instance.sh' \"$port\"")
            .ToString();
        File.WriteAllText(Path.Combine(_folder, "restart-instance.sh"), restart);
    }

    private async Task WaitReadyAsync(int port)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await client.GetAsync(new Uri($"http://127.0.0.1:{port}/healthz/ready"));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not up yet.
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException($"Instance {port} did not become ready:\n" + await File.ReadAllTextAsync(Path.Combine(_folder, $"instance-{port}.log")));
    }

    private async Task<int> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(150)).Token);
        output.WriteLine(await stdout + await stderr);
        return process.ExitCode;
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
