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
    /// With <c>AddRedis()</c>: whether answers' logs are kept in Redis, so any instance resumes, reads and stops any answer
    /// (default true). False keeps them in each instance's memory, as without Redis.
    /// </summary>
    public bool Shared { get; set; } = true;

    /// <summary>
    /// With a shared (Redis) log: how long an instance's lease on the answers it produces lasts, in seconds (default 10). It
    /// renews the lease every third of that; once it lapses (the instance died), any instance ends its running answers with
    /// <c>error</c> <c>answer_lost</c>, the text so far stored as <c>interrupted</c>.
    /// </summary>
    [Range(1, 3_600)]
    public double LeaseSeconds { get; set; } = 10;

    /// <summary>
    /// With a shared (Redis) log: how often the events appended since the last write go to Redis, in milliseconds (default
    /// 250), in one write per answer. An answer's first event and its terminal event are written at once. Readers on the
    /// producing instance read from its memory and are not delayed; readers elsewhere see events up to this much later.
    /// </summary>
    [Range(1, 5_000)]
    public int WriteIntervalMilliseconds { get; set; } = 250;

    /// <summary>
    /// With a shared (Redis) log: how often a reader on another instance than the producer's reads again without being
    /// told of new events, in seconds (default 1), so a lost notification costs at most this much delay.
    /// </summary>
    [Range(0.05, 60)]
    public double RereadSeconds { get; set; } = 1;
}
