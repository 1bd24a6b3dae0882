// Over 300 lines: the load harness is one script (arguments, the fake upstream, the clients, the figures), read top to bottom.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using StreamingChat.LoadTest;

// The load harness: the sample host as its own process answering through the real OpenAI client from an
// OpenAI-compatible fake upstream in this process, driven by concurrent SSE clients; the same clients also read the
// fake upstream directly (the floor). Every run is bounded in count and in time.
//
//   dotnet run -c Release --project benchmarks/StreamingChat.LoadTest -- --standard [--gc server|workstation] [--write-readme]
//   dotnet run -c Release --project benchmarks/StreamingChat.LoadTest -- --concurrency 50 --requests 500 --tokens 100 --interval-ms 0
//   dotnet run -c Release --project benchmarks/StreamingChat.LoadTest -- --idle 5000
//   ... --standard --variant "label:DOTNET_SOME_SETTING=1"   (each point also run with the host under that environment)
//   ... --standard --variant "before:@/path/to/an/older/build/ChatbotHost.dll"   (each point also run with another build)
//   ... --peers   (each point also run with the framework-only relay and the plain Node relay, the yardsticks)
//   ... --tool-round   (a request that offers tools is first answered with a get_time call: one tool round per answer)
var options = Args.Parse(args);
var root = FindRoot();
var hostDll = Path.Combine(root, "samples", "ChatbotHost", "bin", "Release", "net10.0", "ChatbotHost.dll");
if (!File.Exists(hostDll))
{
    Console.Error.WriteLine($"Build the host first: dotnet build -c Release samples/ChatbotHost ({hostDll} not found).");
    return 1;
}

var relayDll = Path.Combine(root, "benchmarks", "StreamingChat.FrameworkRelay", "bin", "Release", "net10.0", "StreamingChat.FrameworkRelay.dll");
var nodeRelay = Path.Combine(root, "benchmarks", "StreamingChat.LoadTest", "node-relay");

await using var upstream = await FakeUpstream.StartAsync();
upstream.ToolRound = options.ToolRound;
using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, UseProxy = false, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) };
using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
var runner = new LoadRunner(client);
var rows = new List<string>();
Console.WriteLine($"GC {options.Gc}, {Machine()}");

if (options.Standard || options.Points.Count > 0)
{
    var points = options.Standard ? Point.Standard : options.Points;
    foreach (var point in points)
    {
        foreach (var (label, start) in Targets())
        {
            rows.AddRange(await RunPointAsync(point, label, start));
        }
    }
}

var idleRows = new List<string>();
if (options.Standard || options.Idle > 0)
{
    foreach (var (label, start) in Targets())
    {
        idleRows.Add(await RunIdleAsync(options.Idle > 0 ? options.Idle : 5000, label, start));
    }
}

var report = Report(rows, idleRows);
Console.WriteLine(report);
if (options.WriteReadme)
{
    WriteReadme(Path.Combine(root, "benchmarks", "README.md"), report);
}

return 0;

// What each point is measured on: the host, each variant of it, and with --peers the two yardsticks.
IEnumerable<(string Label, Func<Task<HostUnderTest>> Start)> Targets()
{
    yield return ("host", () => HostUnderTest.StartAsync(hostDll, upstream.Endpoint, options.Gc, options.HostSettings));
    foreach (var variant in options.Variants)
    {
        yield return ($"host, {variant.Label}", () => HostUnderTest.StartAsync(variant.HostDll ?? hostDll, upstream.Endpoint, options.Gc, options.HostSettings, variant.Environment));
    }

    if (options.Peers)
    {
        yield return ("framework-only relay", () => HostUnderTest.StartFrameworkRelayAsync(relayDll, upstream.Endpoint));
        yield return ("plain Node relay", () => HostUnderTest.StartNodeRelayAsync(nodeRelay, upstream.Endpoint));
    }
}

// Each point gets a fresh process, so its memory figures are its own.
async Task<List<string>> RunPointAsync(Point point, string label, Func<Task<HostUnderTest>> start)
{
    await using var host = await start();
    var isHost = label.StartsWith("host", StringComparison.Ordinal);
    Console.WriteLine($"   {label}: pid {host.ProcessId}");
    upstream.Pace = new UpstreamPace(point.Tokens, TimeSpan.FromMilliseconds(point.IntervalMs), TimeSpan.FromMilliseconds(point.FirstDelayMs));
    var limit = TimeSpan.FromSeconds(point.TimeLimitSeconds);
    // Warm-up until the JIT has tiered the hot path up (a long-running service's steady state): a time, not a count.
    Console.WriteLine($"== {point.Name}: warm-up");
    await runner.RunAsync(host.Address, floor: false, Math.Min(point.Concurrency, 200), int.MaxValue, TimeSpan.FromSeconds(options.WarmupSeconds));
    var upstreamRoot = new Uri(upstream.Endpoint, "/");
    await runner.RunAsync(upstreamRoot, floor: true, Math.Min(point.Concurrency, 200), int.MaxValue, TimeSpan.FromSeconds(Math.Min(3, options.WarmupSeconds)));

    Console.WriteLine($"== {point.Name}: floor");
    var floorClock = Stopwatch.StartNew();
    var floor = await runner.RunAsync(upstreamRoot, floor: true, point.Concurrency, point.Requests, limit);
    floorClock.Stop();

    Console.WriteLine($"== {point.Name}: {label}");
    GC.Collect();
    host.ResetPeak();
    var cpuBefore = host.CpuTime;
    var logBefore = isHost ? await AnswerLogWritesAsync(host.Address) : default;
    var hostClock = Stopwatch.StartNew();
    var measured = await runner.RunAsync(host.Address, floor: false, point.Concurrency, point.Requests, limit);
    hostClock.Stop();
    var cpu = host.CpuTime - cpuBefore;
    var peak = host.PeakRss;
    var logAfter = isHost ? await AnswerLogWritesAsync(host.Address) : default;
    if (logAfter.Writes > logBefore.Writes)
    {
        // The shared (Redis) answer log's batching: events the producer appended per write to Redis.
        var writes = logAfter.Writes - logBefore.Writes;
        var events = logAfter.Events - logBefore.Events;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   answer log: {writes} writes to Redis carried {events} events, {(double)events / writes:0.00} per write"));
    }

    var hostOk = measured.Where(s => s.Ok).ToList();
    var floorOk = floor.Where(s => s.Ok).ToList();
    var tokens = hostOk.Sum(s => (long)s.Tokens);
    var cpuPer1000 = tokens == 0 ? double.NaN : cpu.TotalMilliseconds * 1000 / tokens;
    var added = (P(hostOk, s => s.FirstTokenRelayMs, 0.5) - P(floorOk, s => s.FirstTokenRelayMs, 0.5), P(hostOk, s => s.FirstTokenRelayMs, 0.9) - P(floorOk, s => s.FirstTokenRelayMs, 0.9), P(hostOk, s => s.FirstTokenRelayMs, 0.99) - P(floorOk, s => s.FirstTokenRelayMs, 0.99));
    foreach (var error in measured.Where(s => !s.Ok).GroupBy(s => s.Error).Take(3))
    {
        Console.WriteLine($"   host error x{error.Count()}: {error.Key}");
    }

    return
    [
        Row(point.Name, label, measured, hostClock.Elapsed, $"{F(added.Item1)} / {F(added.Item2)} / {F(added.Item3)}", F(cpuPer1000), $"{peak / 1048576.0:0} MB"),
        Row(point.Name, "floor", floor, floorClock.Elapsed, "—", "—", "—"),
    ];
}

async Task<string> RunIdleAsync(int count, string label, Func<Task<HostUnderTest>> start)
{
    await using var host = await start();
    Console.WriteLine($"== idle: {count} open streams, {label}");
    upstream.Pace = new UpstreamPace(1, TimeSpan.Zero, TimeSpan.FromMinutes(10));
    await runner.RunAsync(host.Address, floor: false, 1, 1, TimeSpan.FromSeconds(1)); // warm path, answered later
    await Task.Delay(500);
    var before = host.Rss;
    using var hold = new CancellationTokenSource();
    var clock = Stopwatch.StartNew();
    var (open, running) = await runner.OpenIdleAsync(host.Address, count, hold.Token, TimeSpan.FromSeconds(180));
    clock.Stop();
    await Task.Delay(2000);
    var after = host.Rss;
    if (options.HoldSeconds > 0)
    {
        // Held open for a look from outside (dotnet-gcdump, dotnet-counters): the figures above are already taken.
        Console.WriteLine($"   holding the streams open for {options.HoldSeconds} s (host pid {host.ProcessId})");
        await Task.Delay(TimeSpan.FromSeconds(options.HoldSeconds));
    }

    var perStream = (after - before) / (double)Math.Max(open, 1);
    Console.WriteLine($"   {open} open in {clock.Elapsed.TotalSeconds:0.0} s; RSS {before / 1048576.0:0} MB → {after / 1048576.0:0} MB");
    await hold.CancelAsync();
    await Task.WhenAll(running);
    var name = $"{count} streams open and idle (first token 10 min away), {label}";
    return string.Create(CultureInfo.InvariantCulture, $"| {name} | {open} of {count} open | RSS {before / 1048576.0:0} MB → {after / 1048576.0:0} MB | **{perStream / 1024:0.0} KiB per stream** |");
}

static string Row(string load, string target, List<StreamSample> samples, TimeSpan elapsed, string added, string cpuPer1000, string peak)
{
    var ok = samples.Where(s => s.Ok).ToList();
    var tokens = ok.Sum(s => (long)s.Tokens);
    return string.Create(CultureInfo.InvariantCulture,
        $"| {load} | {target} | {samples.Count} ({samples.Count - ok.Count}) | {F(P(ok, s => s.TimeToFirstTokenMs, 0.5))} / {F(P(ok, s => s.TimeToFirstTokenMs, 0.9))} / {F(P(ok, s => s.TimeToFirstTokenMs, 0.99))} | {F(P(ok, s => s.FirstTokenRelayMs, 0.5))} / {F(P(ok, s => s.FirstTokenRelayMs, 0.9))} / {F(P(ok, s => s.FirstTokenRelayMs, 0.99))} | {added} | {F(P(ok, s => s.LastTokenLagMs, 0.5))} / {F(P(ok, s => s.LastTokenLagMs, 0.99))} | {F(P(ok, s => s.DurationMs, 0.5))} | {tokens / elapsed.TotalSeconds:0} | {cpuPer1000} | {peak} |");
}

static double P(List<StreamSample> samples, Func<StreamSample, double> value, double quantile)
{
    if (samples.Count == 0)
    {
        return double.NaN;
    }

    var sorted = samples.Select(value).Order().ToArray();
    return sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];
}

// The shared answer log's write counters from the host's Prometheus endpoint; zero when it keeps answers in memory.
static async Task<(long Writes, long Events)> AnswerLogWritesAsync(Uri host)
{
    using var client = new HttpClient { BaseAddress = host, Timeout = TimeSpan.FromSeconds(10) };
    var text = await client.GetStringAsync("/metrics");
    long Read(string name) => text.Split('\n').Where(l => l.StartsWith(name, StringComparison.Ordinal)).Select(l => (long)double.Parse(l.Split(' ')[^1], CultureInfo.InvariantCulture)).FirstOrDefault();
    return (Read("streamingchat_answer_log_writes"), Read("streamingchat_answer_log_events"));
}

static string F(double value) => double.IsNaN(value) ? "—" : value.ToString(value < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

string Report(List<string> rows, List<string> idle)
{
    var text = new StringBuilder();
    text.AppendLine(CultureInfo.InvariantCulture, $"Measured {DateTime.UtcNow:yyyy-MM-dd} on {Machine()}, host GC {options.Gc}, with");
    text.AppendLine(CultureInfo.InvariantCulture, $"`dotnet run -c Release --project benchmarks/StreamingChat.LoadTest -- {string.Join(' ', args)}`:");
    text.AppendLine();
    if (rows.Count > 0)
    {
        text.AppendLine("| load | reading | streams (errors) | time to first token p50 / p90 / p99 ms | first token, upstream write → client read p50 / p90 / p99 ms | added by the host p50 / p90 / p99 ms | last-token lag p50 / p99 ms | stream p50 ms | tokens/s | host CPU ms per 1,000 tokens | host peak RSS |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        rows.ForEach(r => text.AppendLine(r));
        text.AppendLine();
    }

    if (idle.Count > 0)
    {
        text.AppendLine("| memory point | opened | host RSS | growth |");
        text.AppendLine("| --- | --- | --- | --- |");
        idle.ForEach(r => text.AppendLine(r));
    }

    return text.ToString();
}

static string Machine()
{
    var model = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() : null;
    return $"{model ?? RuntimeInformation.ProcessArchitecture.ToString()}, {Environment.ProcessorCount} cores, {RuntimeInformation.FrameworkDescription}";
}

static void WriteReadme(string path, string report)
{
    const string Begin = "<!-- load:begin -->";
    const string End = "<!-- load:end -->";
    var text = File.ReadAllText(path);
    var start = text.IndexOf(Begin, StringComparison.Ordinal);
    var end = text.IndexOf(End, StringComparison.Ordinal);
    var section = Begin + "\n" + report + End;
    text = start >= 0 && end > start ? text[..start] + section + text[(end + End.Length)..] : text.TrimEnd() + "\n\n## Service under load\n\n" + section + "\n";
    File.WriteAllText(path, text);
}

static string FindRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "StreamingChat.sln")))
    {
        dir = dir.Parent;
    }

    return dir?.FullName ?? Directory.GetCurrentDirectory();
}

/// <summary>One load point: C concurrent streams, N in all, the upstream's pace, and a time limit.</summary>
internal sealed record Point(string Name, int Concurrency, int Requests, int Tokens, int IntervalMs, int FirstDelayMs, int TimeLimitSeconds = 120)
{
    public static IReadOnlyList<Point> Standard { get; } =
    [
        new("1 concurrent, 100 tokens back to back", 1, 200, 100, 0, 0),
        new("50 concurrent, 100 tokens back to back", 50, 1000, 100, 0, 0),
        new("500 concurrent, 100 tokens back to back", 500, 2000, 100, 0, 0),
        new("200 concurrent chats, 100 tokens 20 ms apart", 200, 2000, 100, 20, 0),
    ];
}

/// <summary>The command line.</summary>
internal sealed class Args
{
    public bool Standard { get; private set; }

    public bool WriteReadme { get; private set; }

    public string Gc { get; private set; } = "as built";

    public int Idle { get; private set; }

    public int WarmupSeconds { get; private set; } = 8;

    public int HoldSeconds { get; private set; }

    public List<Point> Points { get; } = [];

    public List<string> HostSettings { get; } = [];

    public List<Variant> Variants { get; } = [];

    /// <summary>Whether every point is also run with the framework-only relay and the plain Node relay.</summary>
    public bool Peers { get; set; }

    /// <summary>Whether the upstream first asks the host's chatbot to run its <c>get_time</c> tool (a tool round per answer).</summary>
    public bool ToolRound { get; set; }

    public static Args Parse(string[] args)
    {
        // Over 60 lines: one case per command-line option, in the order the usage lists them.
        var parsed = new Args();
        int concurrency = 0, requests = 200, tokens = 100, interval = 0, firstDelay = 0;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => args[++i];
            switch (args[i])
            {
                case "--peers":
                    parsed.Peers = true;
                    break;
                case "--tool-round":
                    parsed.ToolRound = true;
                    break;
                case "--standard":
                    parsed.Standard = true;
                    break;
                case "--write-readme":
                    parsed.WriteReadme = true;
                    break;
                case "--gc":
                    parsed.Gc = Next();
                    break;
                case "--idle":
                    parsed.Idle = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--hold-seconds":
                    parsed.HoldSeconds = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--warmup-seconds":
                    parsed.WarmupSeconds = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--concurrency":
                    concurrency = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--requests":
                    requests = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--tokens":
                    tokens = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--interval-ms":
                    interval = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--first-delay-ms":
                    firstDelay = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--host-setting":
                    parsed.HostSettings.Add(Next());
                    break;
                case "--variant":
                    parsed.Variants.Add(Variant.Parse(Next()));
                    break;
                default:
                    throw new ArgumentException($"Unknown argument {args[i]}.");
            }
        }

        if (concurrency > 0)
        {
            parsed.Points.Add(new Point($"{concurrency} concurrent, {tokens} tokens {(interval == 0 ? "back to back" : $"{interval} ms apart")}", concurrency, requests, tokens, interval, firstDelay));
        }

        return parsed;
    }
}

/// <summary>
/// The host run again beside the plain one in the same run: with other environment variables
/// (<c>--variant "label:NAME=value,NAME2=value"</c>), or another build of it (<c>--variant "label:@path/ChatbotHost.dll"</c>,
/// optionally followed by <c>,NAME=value</c> pairs), so a change's before and after come from one run.
/// </summary>
internal sealed record Variant(string Label, IReadOnlyDictionary<string, string> Environment, string? HostDll)
{
    public static Variant Parse(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw new ArgumentException($"A variant is \"label:NAME=value,...\" or \"label:@path/ChatbotHost.dll\", not \"{text}\".");
        }

        var parts = text[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries);
        var hostDll = parts.Length > 0 && parts[0].StartsWith('@') ? Path.GetFullPath(parts[0][1..]) : null;
        if (hostDll is not null && !File.Exists(hostDll))
        {
            throw new ArgumentException($"The variant's host build {hostDll} does not exist.");
        }

        var pairs = parts.Skip(hostDll is null ? 0 : 1).Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        return new Variant(text[..colon], pairs, hostDll);
    }
}
