using System.ComponentModel.DataAnnotations;

namespace StreamingChat.AspNetCore;

/// <summary>How answers go out as event streams, bound from <c>StreamingChat:Chat</c> (beside Core's settings of the same section).</summary>
public sealed class EventStreamOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "StreamingChat:Chat";

    /// <summary>Seconds of silence after which a heartbeat comment is written (default 15).</summary>
    [Range(0.05, 3600)]
    public double HeartbeatSeconds { get; set; } = 15;

    /// <summary>The <c>retry:</c> hint, in milliseconds, sent with the <c>start</c> event (default 3000).</summary>
    [Range(0, 600_000)]
    public int RetryMilliseconds { get; set; } = 3000;
}
