using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using StreamingChat.Testing;
using Xunit.Abstractions;

namespace StreamingChat.IntegrationTests;

/// <summary>
/// The deployment as the runbook has it, with real processes: deploy/nginx-streaming.conf in a real nginx, two
/// instances of the built host behind it, a steady load of streams, and deploy/rolling-restart.sh restarting both
/// instances one at a time in the middle of it.
/// </summary>
[Collection(SoloCollection.Name)]
public sealed class NginxRollingRestartServerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Callers = 6;
    private const int MaxStreams = 3000;
    private static readonly TimeSpan LoadLimit = TimeSpan.FromSeconds(120);
    private readonly string _folder = Directory.CreateTempSubdirectory("streamingchat-deploy-").FullName;
    private readonly int[] _ports = [TestPorts.Free(), TestPorts.Free()];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var port in _ports)
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

    [Fact]
    public async Task RollingRestartUnderLoad_NoRequestFails_NoStreamIsCut_AndEventsArriveBeforeTheEnd()
    {
        WriteInstanceScripts();
        foreach (var port in _ports)
        {
            Assert.Equal(0, await RunAsync("bash", Path.Combine(_folder, "start-instance.sh"), port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        foreach (var port in _ports)
        {
            await WaitReadyAsync(port);
        }

        var site = await File.ReadAllTextAsync(Path.Combine(TestPorts.RepositoryRoot, "deploy", "nginx-streaming.conf"));
        var nginxPort = TestPorts.Free();
        site = site.Replace("127.0.0.1:5001", $"127.0.0.1:{_ports[0]}", StringComparison.Ordinal)
            .Replace("127.0.0.1:5002", $"127.0.0.1:{_ports[1]}", StringComparison.Ordinal)
            .Replace("listen 8080;", $"listen 127.0.0.1:{nginxPort};", StringComparison.Ordinal);
        await using var nginx = await NginxTestServer.StartAsync(site, nginxPort);
        var pidsBefore = _ports.Select(ReadPid).ToArray();

        using var client = new HttpClient { BaseAddress = nginx.Address, Timeout = TimeSpan.FromSeconds(60) };
        var results = new ConcurrentBag<StreamResult>();
        var restartDone = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource(LoadLimit);
        var load = Enumerable.Range(0, Callers).Select(caller => Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested && results.Count < MaxStreams; n++)
            {
                results.Add(await AskAsync(client, $"Question {caller}-{n % 7}: how do rolling restarts work?", $"caller-{caller}"));
                if (restartDone.Task.IsCompleted && n >= 3)
                {
                    break;
                }
            }
        })).ToArray();

        // Load first, then the restart in the middle of it.
        while (results.Count < Callers * 2)
        {
            await Task.Delay(50);
        }

        var script = Path.Combine(TestPorts.RepositoryRoot, "deploy", "rolling-restart.sh");
        var restart = await RunAsync("bash", script, "--ports", string.Join(' ', _ports), "--restart", $"bash {Path.Combine(_folder, "restart-instance.sh")} {{port}}", "--ready-timeout", "60");
        var duringRestart = results.Count;
        restartDone.SetResult(restart);
        await Task.WhenAll(load);

        var all = results.ToList();
        output.WriteLine($"{all.Count} streams, {all.Count - duringRestart} after the restart; restart exit {restart}");
        foreach (var failed in all.Where(r => !r.Complete).Take(5))
        {
            output.WriteLine($"not complete: {failed}");
        }

        if (all.Any(r => !r.Complete))
        {
            output.WriteLine("nginx error log:\n" + string.Join('\n', nginx.ErrorLog.Split('\n').Where(l => l.Contains("[error]", StringComparison.Ordinal) || l.Contains("[warn]", StringComparison.Ordinal) || l.Contains("upstream", StringComparison.Ordinal)).Take(20)));
        }

        Assert.Equal(0, restart);
        Assert.False(stop.IsCancellationRequested || all.Count >= MaxStreams, "the load ran into its limits before the restart was over");
        Assert.All(_ports.Zip(pidsBefore), p => Assert.NotEqual(p.Second, ReadPid(p.First))); // both instances were replaced
        Assert.All(all, r => Assert.True(r.Complete, r.ToString()));
        Assert.All(all, r => Assert.True(r.FirstTokenMs + 150 < r.DoneMs, $"events held back: {r}"));
        Assert.Contains("proxy_buffering off", site, StringComparison.Ordinal);
    }

    private sealed record StreamResult(int Status, int Tokens, int? OutputTokens, bool Done, string? Error, double FirstTokenMs, double DoneMs)
    {
        public bool Complete => Status == 200 && Done && Error is null && Tokens > 0 && Tokens == OutputTokens;
    }

    /// <summary>Each caller's session key, sent back with its next question as a page does.</summary>
    private readonly ConcurrentDictionary<string, string> _sessionKeys = new(StringComparer.Ordinal);

    private async Task<StreamResult> AskAsync(HttpClient client, string query, string sessionId)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/chat/query/stream") { Content = JsonContent.Create(new { query, chatbotId = "demo", sessionId }) };
            if (_sessionKeys.TryGetValue(sessionId, out var key))
            {
                request.Headers.Add("X-Session-Key", key);
            }

            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            if (response.Headers.TryGetValues("X-Session-Key", out var keys))
            {
                _sessionKeys[sessionId] = keys.First();
            }

            if (!response.IsSuccessStatusCode)
            {
                return new((int)response.StatusCode, 0, null, false, await response.Content.ReadAsStringAsync(), 0, 0);
            }

            var tokens = 0;
            double firstToken = 0, done = 0;
            int? outputTokens = null;
            string? error = null;
            await foreach (var e in SseTestClient.ReadEventsAsync(await response.Content.ReadAsStreamAsync()))
            {
                switch (e.Type)
                {
                    case "token":
                        if (tokens++ == 0)
                        {
                            firstToken = clock.Elapsed.TotalMilliseconds;
                        }

                        break;
                    case "done":
                        done = clock.Elapsed.TotalMilliseconds;
                        outputTokens = e.Data.GetProperty("usage").GetProperty("outputTokens").GetInt32();
                        break;
                    case "error":
                        error = e.Data.GetRawText();
                        break;
                }
            }

            return new(200, tokens, outputTokens, done > 0, error, firstToken, done);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
        {
            return new(0, 0, null, false, ex.GetType().Name + ": " + ex.Message, 0, 0);
        }
    }

    /// <summary>
    /// Scripts that start and restart one instance as systemd would: the restart sends SIGTERM, waits for the process to
    /// drain and exit, then starts a new one.
    /// </summary>
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
            .AppendLine($"  >> \"{_folder}/instance-$port.log\" 2>&1 < /dev/null &")
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

    private int ReadPid(int port) => int.Parse(File.ReadAllText(Path.Combine(_folder, $"instance-{port}.pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);

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
}
