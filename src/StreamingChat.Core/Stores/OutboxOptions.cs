using System.ComponentModel.DataAnnotations;

namespace StreamingChat.Core;

/// <summary>The turns kept while the conversation store is away (<see cref="TurnOutbox"/>), bound from <c>StreamingChat:Outbox</c>.</summary>
public sealed class OutboxOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "StreamingChat:Outbox";

    /// <summary>How many turns may wait (default 10,000); when that many wait, new questions are refused with <c>503 overloaded</c>.</summary>
    [Range(1, 10_000_000)]
    public int MaxTurns { get; set; } = 10_000;

    /// <summary>The first pause before the store is tried again (default 1 s); it doubles while the store stays away.</summary>
    [Range(0.05, 3600)]
    public double RetrySeconds { get; set; } = 1;

    /// <summary>The longest pause between tries (default 30 s).</summary>
    [Range(0.05, 3600)]
    public double MaxRetrySeconds { get; set; } = 30;
}
