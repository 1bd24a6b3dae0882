using System.ComponentModel.DataAnnotations;

namespace StreamingChat.Core;

/// <summary>The pace of the offline model, bound from <c>StreamingChat:Model:Offline</c>.</summary>
public sealed class OfflineModelOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "StreamingChat:Model:Offline";

    /// <summary>The model id the offline model reports.</summary>
    public const string ModelId = "streamingchat-offline";

    /// <summary>Milliseconds before the first token (default 150, near a hosted model).</summary>
    [Range(0, 600_000)]
    public int FirstTokenDelayMs { get; set; } = 150;

    /// <summary>Milliseconds between tokens (default 20, about 50 tokens a second).</summary>
    [Range(0, 60_000)]
    public int TokenIntervalMs { get; set; } = 20;

    /// <summary>How many sentences an answer has besides the echo of the question (default 3).</summary>
    [Range(1, 200)]
    public int Sentences { get; set; } = 3;
}
