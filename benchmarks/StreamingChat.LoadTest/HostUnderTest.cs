using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace StreamingChat.LoadTest;

/// <summary>The built sample host as its own process, configured for load, with its CPU time and memory read from <c>/proc</c>.</summary>
internal sealed class HostUnderTest : IAsyncDisposable
{
    private static readonly long ClockTicksPerSecond = 100; // USER_HZ on Linux
    private readonly Process _process;
    private readonly CancellationTokenSource _sampling = new();
    private long _peakRss;

    private HostUnderTest(Process process, Uri address)
    {
        _process = process;
        Address = address;
        _ = Task.Run(SampleRssAsync);
    }

    public Uri Address { get; }

    public int ProcessId => _process.Id;

    public static Task<HostUnderTest> StartAsync(string hostDll, Uri upstream, string gc, IEnumerable<string> extra, IReadOnlyDictionary<string, string>? environment = null)
    {
        var port = FreePort();
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(hostDll)! };
        info.ArgumentList.Add(hostDll);
        foreach (var arg in (string[])[
            $"--urls=http://127.0.0.1:{port}",
            "--Logging:LogLevel:Default=Warning",
            "--StreamingChat:Model:Provider=OpenAI",
            "--StreamingChat:Model:OpenAI:ApiKey=load-test",
            $"--StreamingChat:Model:OpenAI:Endpoint={upstream}",
            "--StreamingChat:Model:OpenAI:Model=fake-model",
            "--StreamingChat:Model:OpenAI:MaxRetries=0",
            "--StreamingChat:RateLimiting:PermitsPerMinutePerClient=0",
            "--StreamingChat:RateLimiting:PermitsPerMinutePerSession=0",
            "--StreamingChat:RateLimiting:MaxConcurrentAnswersPerAddress=0", // every stream comes from loopback: one address
            "--StreamingChat:RateLimiting:MaxConcurrentAnswers=20000",
            "--StreamingChat:RateLimiting:MaxQueuedAnswers=20000",
            "--StreamingChat:Chat:FirstTokenTimeoutSeconds=600",
            "--StreamingChat:Chat:HistoryTurns=0",
            "--StreamingChat:Rollout:Guard:Enabled=false",
            "--StreamingChat:Speech:Provider=None",
            .. extra])
        {
            info.ArgumentList.Add(arg);
        }

        if (gc is "server" or "workstation")
        {
            info.Environment["DOTNET_gcServer"] = gc == "server" ? "1" : "0";
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        // LOADTEST_HOST_X=value sets X=value for the host only (for example DOTNET_ diagnostics while profiling).
        foreach (System.Collections.DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            if (variable.Key is string key && key.StartsWith("LOADTEST_HOST_", StringComparison.Ordinal))
            {
                info.Environment[key["LOADTEST_HOST_".Length..]] = variable.Value as string;
            }
        }
        info.Environment["DOTNET_NOLOGO"] = "1";
        return LaunchAsync(info, port);
    }

    /// <summary>The framework-only relay (benchmarks/StreamingChat.FrameworkRelay) as its own process.</summary>
    public static Task<HostUnderTest> StartFrameworkRelayAsync(string relayDll, Uri upstream)
    {
        var port = FreePort();
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(relayDll)! };
        info.ArgumentList.Add(relayDll);
        info.ArgumentList.Add($"--urls=http://127.0.0.1:{port}");
        info.ArgumentList.Add($"--upstream={upstream}");
        info.Environment["DOTNET_NOLOGO"] = "1";
        return LaunchAsync(info, port);
    }

    /// <summary>The plain Node relay (node-relay/relay.mjs, Express + fetch), its pinned packages installed first if they are not.</summary>
    public static async Task<HostUnderTest> StartNodeRelayAsync(string folder, Uri upstream)
    {
        if (!Directory.Exists(Path.Combine(folder, "node_modules", "express")))
        {
            var install = new ProcessStartInfo("npm") { UseShellExecute = false, WorkingDirectory = folder };
            foreach (var arg in (string[])["install", "--no-audit", "--no-fund", "--loglevel=error"])
            {
                install.ArgumentList.Add(arg);
            }

            using var npm = Process.Start(install)!;
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await npm.WaitForExitAsync(limit.Token);
            if (npm.ExitCode != 0)
            {
                throw new InvalidOperationException($"npm install in {folder} exited with {npm.ExitCode}.");
            }
        }

        var port = FreePort();
        var info = new ProcessStartInfo("node") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
        foreach (var arg in (string[])["relay.mjs", "--port", port.ToString(CultureInfo.InvariantCulture), "--upstream", upstream.ToString()])
        {
            info.ArgumentList.Add(arg);
        }

        return await LaunchAsync(info, port);
    }

    private static async Task<HostUnderTest> LaunchAsync(ProcessStartInfo info, int port)
    {
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 }) { Console.Error.WriteLine("host: " + e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var host = new HostUnderTest(process, new Uri($"http://127.0.0.1:{port}/"));
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 300; i++)
        {
            try
            {
                using var ready = await probe.GetAsync(new Uri(host.Address, "/healthz/ready"));
                if (ready.IsSuccessStatusCode)
                {
                    return host;
                }
            }
            catch (HttpRequestException)
            {
                // Not up yet.
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException($"{info.FileName} {string.Join(' ', info.ArgumentList)} did not start.");
    }

    /// <summary>User + system CPU time the host has used.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds((double)ticks / ClockTicksPerSecond);
        }
    }

    /// <summary>The host's resident memory now.</summary>
    public long Rss => ReadStatus("VmRSS:");

    /// <summary>The most resident memory seen since <see cref="ResetPeak"/> (VmRSS sampled every 20 ms, and once more when read).</summary>
    public long PeakRss => Math.Max(Interlocked.Read(ref _peakRss), Rss);

    public void ResetPeak() => Interlocked.Exchange(ref _peakRss, Rss);

    public async ValueTask DisposeAsync()
    {
        await _sampling.CancelAsync();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _sampling.Dispose();
    }

    private async Task SampleRssAsync()
    {
        while (!_sampling.IsCancellationRequested)
        {
            try
            {
                var rss = Rss;
                long peak;
                while (rss > (peak = Interlocked.Read(ref _peakRss)) && Interlocked.CompareExchange(ref _peakRss, rss, peak) != peak)
                {
                }

                await Task.Delay(20, _sampling.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or FormatException)
            {
                return;
            }
        }
    }

    private long ReadStatus(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
