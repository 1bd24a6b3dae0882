namespace StreamingChat.Core;

/// <summary>
/// Where an answer's events are kept while it is produced and for <see cref="AnswerOptions.RetentionSeconds"/> after it
/// ended, numbered from 0 in the order they were appended (the number is the SSE <c>id</c>), so that any number of readers
/// can read it from any position, now or after reconnecting. One producer writes an answer; readers are woken when it does.
/// </summary>
/// <remarks>
/// In memory by default (<see cref="InMemoryAnswerLog"/>): an answer is resumable on the instance that produces it.
/// </remarks>
public interface IAnswerLog
{
    /// <summary>Opens the log of a new answer. Its first event is appended next, with id 0.</summary>
    ValueTask CreateAsync(AnswerInfo answer, CancellationToken cancellationToken = default);

    /// <summary>Appends one event that is not terminal and wakes the readers waiting for it; returns its id.</summary>
    ValueTask<long> AppendAsync(string messageId, AnswerEvent streamEvent, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends the terminal event (<c>done</c> or <c>error</c>) and records how the answer ended, in one step, then wakes the
    /// readers; the log is kept <see cref="AnswerOptions.RetentionSeconds"/> from now. Returns the terminal event's id.
    /// </summary>
    ValueTask<long> EndAsync(string messageId, AnswerEvent terminal, MessageStatus status, CancellationToken cancellationToken = default);

    /// <summary>What is known of an answer whose log is kept; null when it is unknown or has expired.</summary>
    ValueTask<AnswerState?> GetAsync(string messageId, CancellationToken cancellationToken = default);

    /// <summary>The newest answer of a session whose log is kept (running or ended); null when there is none.</summary>
    ValueTask<AnswerState?> GetLatestAsync(string sessionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds to <paramref name="events"/> the answer's events from id <paramref name="fromId"/> on, waiting until there is at
    /// least one when the answer is running and has none yet (the event with id <paramref name="fromId"/> is
    /// <c>events[0]</c> then). Returns what it found: events, the end (the reader has had the terminal event), or nothing
    /// known of the answer.
    /// </summary>
    ValueTask<AnswerRead> ReadAsync(string messageId, long fromId, List<AnswerEvent> events, CancellationToken cancellationToken = default);

    /// <summary>
    /// Forgets every answer of <paramref name="sessionId"/> (running or ended) and the session's pointer to its latest, on
    /// every instance that keeps a copy, so that nothing serves them again (the owner's right to erasure). A reader waiting
    /// on one of them finds it missing.
    /// </summary>
    ValueTask EraseSessionAsync(string sessionId, CancellationToken cancellationToken = default);
}

/// <summary>What <see cref="IAnswerLog.ReadAsync"/> found.</summary>
public enum AnswerRead
{
    /// <summary>The answer is unknown, or its log has expired.</summary>
    Missing,

    /// <summary>Events were added.</summary>
    Events,

    /// <summary>The answer has ended and the reader has every event up to the terminal one.</summary>
    Ended,
}

/// <summary>What an answer is, fixed when it starts.</summary>
/// <param name="MessageId">The answer's id (its stored turn's id).</param>
/// <param name="SessionId">The session it answers in.</param>
/// <param name="ChatbotId">The chatbot answering.</param>
/// <param name="Owner">The session's owner (<see cref="ChatQuery.Owner"/>); null when sessions have no owners.</param>
/// <param name="Question">The question, so a client that retries the same question attaches to this answer.</param>
/// <param name="Streaming">Whether tokens are streamed as they come (false: the whole answer in one token event).</param>
/// <param name="CreatedAt">When the question arrived.</param>
public sealed record AnswerInfo(string MessageId, string SessionId, string ChatbotId, string? Owner, string Question, bool Streaming, DateTimeOffset CreatedAt);

/// <summary>An answer as its log knows it.</summary>
/// <param name="Info">What the answer is.</param>
/// <param name="EventCount">How many events the log holds (the next event's id).</param>
/// <param name="Status">How it ended; null while it runs.</param>
public sealed record AnswerState(AnswerInfo Info, long EventCount, MessageStatus? Status)
{
    /// <summary>Whether the answer is still being produced.</summary>
    public bool IsRunning => Status is null;

    /// <summary>The id of the last event in the log; -1 when it holds none.</summary>
    public long LastEventId => EventCount - 1;

    /// <summary>
    /// Whether another instance ended the answer because the instance producing it died: a reader may then hold events
    /// past its terminal event (read before they reached the shared log), and reading on from there gives that reader the
    /// terminal event once more, numbered after what it holds.
    /// </summary>
    public bool EndedElsewhere { get; init; }
}
