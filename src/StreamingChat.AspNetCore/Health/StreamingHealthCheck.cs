using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>
/// The <c>streaming</c> check: the deployment guide's alert rules over this instance's window. Degraded past any
/// threshold (error rate, p95 first-token latency, memory, CPU, open streams); unhealthy while draining.
/// </summary>
internal sealed class StreamingHealthCheck(
    StreamingChatMetrics metrics,
    ProcessFigures process,
    StreamingChatDrain drain,
    IOptionsMonitor<HealthOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var limits = options.CurrentValue;
        var figures = metrics.ReadWindow();
        var p95 = figures.FirstTokenPercentileMs(0.95);
        var active = metrics.ActiveStreams;
        var memoryShare = (double)ProcessFigures.WorkingSetBytes / Math.Max(1, process.MemoryLimitBytes);
        var cpuShare = process.CpuShare;
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["errorRate"] = Math.Round(figures.ErrorRate, 4),
            ["p95FirstTokenMs"] = p95 is { } p ? Math.Round(p, 1) : null!,
            ["activeStreams"] = active,
            ["requests"] = figures.Requests,
            ["memoryShare"] = Math.Round(memoryShare, 4),
            ["cpuShare"] = Math.Round(cpuShare, 4),
        };

        if (drain.IsDraining)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("Draining: not taking new streams.", data: data));
        }

        var reasons = new List<string>();
        if (figures.Requests >= limits.MinRequests)
        {
            if (figures.ErrorRate > limits.MaxErrorRate)
            {
                reasons.Add($"error rate {figures.ErrorRate:P1} is over {limits.MaxErrorRate:P1}");
            }

            if (p95 > limits.MaxP95FirstTokenMs)
            {
                reasons.Add($"p95 first-token latency {p95:F0} ms is over {limits.MaxP95FirstTokenMs:F0} ms");
            }
        }

        if (memoryShare > limits.MaxMemoryShare)
        {
            reasons.Add($"memory {memoryShare:P0} of the limit is over {limits.MaxMemoryShare:P0}");
        }

        if (cpuShare > limits.MaxCpuShare)
        {
            reasons.Add($"CPU {cpuShare:P0} is over {limits.MaxCpuShare:P0}");
        }

        if (active > limits.MaxActiveStreams)
        {
            reasons.Add($"{active} open streams is over {limits.MaxActiveStreams}");
        }

        return Task.FromResult(reasons.Count == 0
            ? HealthCheckResult.Healthy($"Streaming within limits over the last {metrics.WindowLength.TotalSeconds:F0} s.", data)
            : HealthCheckResult.Degraded(string.Join("; ", reasons) + ".", data: data));
    }
}
