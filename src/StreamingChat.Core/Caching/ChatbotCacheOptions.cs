using System.ComponentModel.DataAnnotations;

namespace StreamingChat.Core;

/// <summary>How long chatbot definitions are cached, bound from <c>StreamingChat:Cache</c>.</summary>
public sealed class ChatbotCacheOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "StreamingChat:Cache";

    /// <summary>
    /// How long an instance keeps a chatbot in its own memory (default 30 s): a chatbot changed on another instance
    /// takes effect here within this time. The instance that makes the change drops its copy at once.
    /// </summary>
    [Range(1, 86_400)]
    public int ChatbotLocalSeconds { get; set; } = 30;

    /// <summary>How long a chatbot stays in Redis, the second level shared by every instance (default 300 s).</summary>
    [Range(1, 86_400)]
    public int ChatbotSharedSeconds { get; set; } = 300;
}
