using System.ComponentModel.DataAnnotations;

using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>Who may ask how often, and how many answers run at once; bound from <c>StreamingChat:RateLimiting</c>.</summary>
public sealed class RateLimitingOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "StreamingChat:RateLimiting";

    /// <summary>Questions a caller (a signed-in user, else a client address) may ask per minute (sliding); 0 turns the limit off (default 0).</summary>
    [Range(0, 1_000_000)]
    public int PermitsPerMinutePerClient { get; set; }

    /// <summary>Questions a session may ask per minute (sliding); 0 turns the limit off (default 0).</summary>
    [Range(0, 1_000_000)]
    public int PermitsPerMinutePerSession { get; set; }

    /// <summary>
    /// Answers one signed-in user may have running at once, on every instance together (default 3; 0: no limit). A place is
    /// held as long as its answer runs (renewed like the answer's lease) and freed when it ends, or within
    /// <see cref="AnswerOptions.LeaseSeconds"/> when its instance dies.
    /// </summary>
    [Range(0, 1_000_000)]
    public int MaxConcurrentAnswersPerUser { get; set; } = 3;

    /// <summary>
    /// Answers one anonymous client address (an IPv6 /64) may have running at once, on every instance together (default 20:
    /// one address may be a whole office behind a NAT; 0: no limit).
    /// </summary>
    [Range(0, 1_000_000)]
    public int MaxConcurrentAnswersPerAddress { get; set; } = 20;

    /// <summary>
    /// Readers one caller (a signed-in user, else a client address) may hold open at once on resumed answers
    /// (<c>GET /api/chat/answers/{id}/stream</c>, a retried question, <c>GET /api/chat/ui/{id}/stream</c>), on every instance
    /// together; past it <c>429 rate_limited</c> (default 20; 0: no limit). Held and freed as the answers' places are.
    /// </summary>
    [Range(0, 1_000_000)]
    public int MaxReadersPerCaller { get; set; } = 20;

    /// <summary>Readers one resume token (one answer's <c>Location</c> URL) may hold open at once, whoever holds it (default 5; 0: no limit).</summary>
    [Range(0, 1_000_000)]
    public int MaxReadersPerResumeToken { get; set; } = 5;

    /// <summary>Answer tokens a caller may use per <see cref="TokenBudgetWindowSeconds"/>, then <c>429 quota_exceeded</c> (default 0: no budget).</summary>
    [Range(0, long.MaxValue)]
    public long TokenBudgetPerCaller { get; set; }

    /// <summary>The token budget's window (default 3600 s).</summary>
    [Range(60, 31_622_400)]
    public int TokenBudgetWindowSeconds { get; set; } = 3600;

    /// <summary>Answers (model calls) running at once on this instance (default 1000).</summary>
    [Range(1, 1_000_000)]
    public int MaxConcurrentAnswers { get; set; } = 1000;

    /// <summary>Questions that may wait for a free slot; past this they are refused with 503 <c>overloaded</c> (default 100).</summary>
    [Range(0, 1_000_000)]
    public int MaxQueuedAnswers { get; set; } = 100;

    /// <summary>How long a question may wait for a free slot before it is refused with 503 <c>overloaded</c> (default 10 s).</summary>
    [Range(0.01, 3600)]
    public double QueueTimeoutSeconds { get; set; } = 10;
}
