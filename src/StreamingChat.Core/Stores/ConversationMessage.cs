namespace StreamingChat.Core;

/// <summary>Who said a turn.</summary>
public enum ConversationRole
{
    /// <summary>The caller's question.</summary>
    User,

    /// <summary>The chatbot's answer.</summary>
    Assistant,
}

/// <summary>How an answer ended.</summary>
public enum MessageStatus
{
    /// <summary>The model finished the answer.</summary>
    Complete,

    /// <summary>No reader stayed (or the instance stopped) before the answer finished; the text is what was sent.</summary>
    Interrupted,

    /// <summary>The model failed; the text is what was sent before the failure.</summary>
    Failed,

    /// <summary>The caller stopped the answer (<c>POST /api/chat/answers/{id}/stop</c>); the text is what was sent before it.</summary>
    Stopped,
}

/// <summary>One turn of a conversation.</summary>
public sealed record ConversationMessage
{
    /// <summary>The turn's id; for an answer, the <c>messageId</c> of its <c>start</c> event.</summary>
    public required string MessageId { get; init; }

    /// <summary>The conversation.</summary>
    public required string SessionId { get; init; }

    /// <summary>The chatbot.</summary>
    public required string ChatbotId { get; init; }

    /// <summary>Who owns the session the turn belongs to (<see cref="ChatQuery.Owner"/>); null when sessions have no owners.</summary>
    public string? Owner { get; init; }

    /// <summary>Who said it.</summary>
    public required ConversationRole Role { get; init; }

    /// <summary>What was said.</summary>
    public required string Content { get; init; }

    /// <summary>How it ended; a question is always <see cref="MessageStatus.Complete"/>.</summary>
    public MessageStatus Status { get; init; } = MessageStatus.Complete;

    /// <summary>When it was said.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Token counts of an answer, when known.</summary>
    public AnswerUsage? Usage { get; init; }

    /// <summary>Milliseconds from the question to an answer's first token, when there was one.</summary>
    public long? FirstTokenMs { get; init; }

    /// <summary>Milliseconds from the question to an answer's end.</summary>
    public long? TotalMs { get; init; }

    /// <summary>The model that answered.</summary>
    public string? Model { get; init; }

    /// <summary>The error code of a failed answer.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>
    /// An answer's parts in order (text, reasoning, tool calls with their results, sources), when it had more than text;
    /// empty for a question and for an answer that was text only (its <see cref="Content"/> is the whole of it).
    /// </summary>
    public IReadOnlyList<ConversationPart> Parts { get; init; } = [];

    /// <summary>The person's rating of an answer (<c>POST /api/chat/answers/{id}/feedback</c>); null until they gave one.</summary>
    public AnswerFeedback? Feedback { get; init; }
}

/// <summary>A person's rating of an answer: the last one given counts.</summary>
/// <param name="Rating"><c>up</c> or <c>down</c>.</param>
/// <param name="Comment">What they said, when they said something (at most 2,000 characters).</param>
/// <param name="At">When they gave it.</param>
public sealed record AnswerFeedback(string Rating, string? Comment, DateTimeOffset At)
{
    /// <summary>A good answer.</summary>
    public const string Up = "up";

    /// <summary>A bad answer.</summary>
    public const string Down = "down";
}

