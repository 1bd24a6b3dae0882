using System.ComponentModel.DataAnnotations;

namespace StreamingChat.Core;

/// <summary>How answers' event logs are kept, bound from <c>StreamingChat:Answers</c>.</summary>
public sealed class AnswerOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "StreamingChat:Answers";

    /// <summary>How long an ended answer's log can still be resumed, in seconds (default 300).</summary>
    [Range(1, 86_400)]
    public double RetentionSeconds { get; set; } = 300;

    /// <summary>
    /// How many answers the in-memory log keeps at most (default 10,000). Past it, ended answers go oldest first; running
    /// answers are never dropped (their number is bounded by the concurrency limits).
    /// </summary>
    [Range(1, 10_000_000)]
    public int MaxAnswers { get; set; } = 10_000;

    /// <summary>How many bytes of events the in-memory log keeps at most (default 64 MiB), dropping ended answers oldest first past it.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// With a shared (Redis) log: how long an instance's lease on the answers it produces lasts, in seconds (default 10). It
    /// renews the lease every third of that; once it lapses (the instance died), any instance ends its running answers with
    /// <c>error</c> <c>answer_lost</c>, the text so far stored as <c>interrupted</c>.
    /// </summary>
    [Range(1, 3_600)]
    public double LeaseSeconds { get; set; } = 10;

    /// <summary>
    /// With a shared (Redis) log: how often a reader on another instance than the producer's reads again without being
    /// told of new events, in seconds (default 1), so a lost notification costs at most this much delay.
    /// </summary>
    [Range(0.05, 60)]
    public double RereadSeconds { get; set; } = 1;
}
