using System.ComponentModel.DataAnnotations;

namespace StreamingChat.Core;

/// <summary>The metrics window, bound from <c>StreamingChat:Metrics</c>.</summary>
public sealed class MetricsOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "StreamingChat:Metrics";

    /// <summary>The sliding window of the summary, in seconds (default 300).</summary>
    [Range(10, 86_400)]
    public int WindowSeconds { get; set; } = 300;

    /// <summary>This instance's id in metrics and health; the host name, process id and a random suffix when empty.</summary>
    [MaxLength(128)]
    public string? InstanceId { get; set; }
}
