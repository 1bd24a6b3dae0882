using System.ComponentModel.DataAnnotations;

namespace StreamingChat.AspNetCore;

/// <summary>The health thresholds (the deployment guide's alert rules), bound from <c>StreamingChat:Health</c>.</summary>
public sealed class HealthOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "StreamingChat:Health";

    /// <summary>An error rate above this is degraded (default 0.02).</summary>
    [Range(0.0, 1.0)]
    public double MaxErrorRate { get; set; } = 0.02;

    /// <summary>A p95 first-token latency above this many ms is degraded (default 1500).</summary>
    [Range(1, 600_000)]
    public double MaxP95FirstTokenMs { get; set; } = 1500;

    /// <summary>The error rate and latency rules apply once the window holds this many streams (default 10), so one early failure does not mark the instance.</summary>
    [Range(0, 1_000_000)]
    public int MinRequests { get; set; } = 10;

    /// <summary>A working set above this share of the memory limit is degraded (default 0.8).</summary>
    [Range(0.01, 1.0)]
    public double MaxMemoryShare { get; set; } = 0.8;

    /// <summary>The memory limit in bytes; 0 takes the limit the runtime sees (the container's or the machine's).</summary>
    [Range(0, long.MaxValue)]
    public long MemoryLimitBytes { get; set; }

    /// <summary>CPU use above this share of the machine's cores is degraded (default 0.9).</summary>
    [Range(0.01, 1.0)]
    public double MaxCpuShare { get; set; } = 0.9;

    /// <summary>More open streams than this is degraded (default 1000).</summary>
    [Range(1, 10_000_000)]
    public long MaxActiveStreams { get; set; } = 1000;
}
