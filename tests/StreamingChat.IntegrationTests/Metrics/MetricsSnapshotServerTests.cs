using System.Text.Json.Nodes;
using Snapshooter;
using Snapshooter.Xunit;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>
/// Snapshots of the three JSON payloads the guide's dashboards and scripts parse, taken from the running host with the
/// offline model after a fixed set of questions. Values that change from run to run (ids, timings, process figures)
/// are scrubbed to their kind, so a snapshot fails only when the shape or a deterministic figure changes.
/// </summary>
public sealed class MetricsSnapshotServerTests : IAsyncLifetime
{
    private static readonly HashSet<string> Volatile =
    [
        "instanceId", "totalDurationMs", "avgFirstTokenMs", "p50FirstTokenMs", "p95FirstTokenMs", "p99FirstTokenMs", "avgTotalMs",
        "tokensPerSecond", "version", "startedAt", "uptimeSeconds", "workingSetBytes", "memoryLimitBytes", "cpuPercent",
        "gcHeapBytes", "memoryShare", "cpuShare",
    ];

    private HostInstance _host = null!;

    public async Task InitializeAsync()
    {
        _host = await HostInstance.StartAsync("--StreamingChat:Model:Offline:FirstTokenDelayMs=0", "--StreamingChat:Model:Offline:TokenIntervalMs=0");
        await _host.AskAsync("What is streaming?", sessionId: "a");
        await _host.AskAsync("And a follow-up?", sessionId: "a");
        await _host.AskAsync("Another session", sessionId: "b");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Summary_Payload_MatchesTheSnapshot()
        => Match(await ScrubbedAsync("/api/metrics/streaming/summary"), nameof(Summary_Payload_MatchesTheSnapshot));

    [Fact]
    public async Task Details_Payload_MatchesTheSnapshot()
        => Match(await ScrubbedAsync("/api/metrics/streaming"), nameof(Details_Payload_MatchesTheSnapshot));

    [Fact]
    public async Task Health_Payload_MatchesTheSnapshot()
        => Match(await ScrubbedAsync("/api/metrics/health/streaming"), nameof(Health_Payload_MatchesTheSnapshot));

    /// <summary>
    /// Compares with the snapshot committed beside this file, named from the repository root: a build whose source paths
    /// are mapped (CI's deterministic build writes "/_/…") would otherwise look for, and quietly create, a snapshot of
    /// its own elsewhere, and compare nothing.
    /// </summary>
    private static void Match(Newtonsoft.Json.Linq.JToken payload, string test)
        => Snapshot.Match(payload, new SnapshotFullName(
            $"{nameof(MetricsSnapshotServerTests)}.{test}.snap",
            Path.Combine(TestPorts.RepositoryRoot, "tests", "StreamingChat.IntegrationTests", "Metrics")));

    private async Task<Newtonsoft.Json.Linq.JToken> ScrubbedAsync(string path)
    {
        var node = JsonNode.Parse(await _host.Client.GetStringAsync(path))!;
        Scrub(node);
        return Newtonsoft.Json.Linq.JToken.Parse(node.ToJsonString());
    }

    private static void Scrub(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj.ToList())
                {
                    if (name == "checks" && value is JsonObject checks)
                    {
                        // Health checks run together and are reported as they finish: their order is not the payload's.
                        var sorted = new JsonObject();
                        foreach (var (check, entry) in checks.OrderBy(c => c.Key, StringComparer.Ordinal).ToList())
                        {
                            checks.Remove(check);
                            sorted[check] = entry;
                            Scrub(entry!);
                        }

                        obj[name] = sorted;
                    }
                    else if (name == "firstTokenHistogram" && value is JsonArray buckets)
                    {
                        // Which bucket a latency falls in varies; how many there are does not.
                        obj[name] = new JsonObject { ["buckets"] = buckets.Count, ["total"] = buckets.Sum(b => b!["count"]!.GetValue<long>()) };
                    }
                    else if (Volatile.Contains(name) && value is not null)
                    {
                        obj[name] = $"<{value.GetValueKind().ToString().ToLowerInvariant()}>";
                    }
                    else if (value is not null)
                    {
                        Scrub(value);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    if (item is not null)
                    {
                        Scrub(item);
                    }
                }

                break;
        }
    }
}
