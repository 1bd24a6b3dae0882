namespace StreamingChat.Core;

/// <summary>
/// An answer log that every instance of the service reads (Redis with <c>AddRedis()</c>, or a store of the application's
/// own registered with <c>AddAnswerLog&lt;TLog&gt;()</c>): an answer produced on one instance is read, resumed and stopped
/// from any, and one whose producing instance died is noticed and ended. Besides <see cref="IAnswerLog"/>'s contract, the
/// log tells the answers when another instance asks for a stop, finds a producer gone (a lease it keeps per instance), or
/// erased a session, and keeps the marks that let one instance end another's answer once.
/// </summary>
/// <remarks>
/// When another instance ended an answer because its producer died (<see cref="EndElsewhereAsync"/>), its state says so
/// (<see cref="AnswerState.EndedElsewhere"/>), and a reader past that end (it read, on the dead instance, events the log
/// never got) is given the terminal event once more by <see cref="IAnswerLog.ReadAsync"/>, numbered after what it holds.
/// </remarks>
public interface ISharedAnswerLog : IAnswerLog
{
    /// <summary>
    /// Connects the log to the pipeline that produces answers on this instance: <paramref name="stopRequested"/> is called
    /// when another instance asks to stop an answer (it does nothing when the answer does not run here),
    /// <paramref name="producerLost"/> when a running answer's producing instance is found gone (its lease lapsed), so it is
    /// ended once, <paramref name="endedElsewhere"/> when an answer produced
    /// here was ended by another instance (this instance was taken for dead), so its production stops, and
    /// <paramref name="sessionErased"/> when a session was erased on any instance (what this one keeps of it goes too).
    /// </summary>
    void Connect(Func<string, ValueTask> stopRequested, Func<AnswerState, ValueTask> producerLost, Action<string> endedElsewhere, Action<string> sessionErased);

    /// <summary>Whether the instance producing a running answer still holds its lease; true for answers produced here.</summary>
    ValueTask<bool> IsProducerAliveAsync(string messageId, CancellationToken cancellationToken = default);

    /// <summary>Asks the instance producing <paramref name="messageId"/> to stop it.</summary>
    ValueTask RequestStopAsync(string messageId, CancellationToken cancellationToken = default);

    /// <summary>Whether a reader on another instance has read the answer lately (it keeps the answer from being left alone).</summary>
    ValueTask<bool> IsReadElsewhereAsync(string messageId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes the right to end a running answer whose producer is gone, for a few seconds; false when another instance has
    /// it, or the answer is no longer running.
    /// </summary>
    ValueTask<bool> TryClaimAsync(string messageId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends the terminal event of an answer produced elsewhere, with the next id, and records how it ended, unless it has
    /// ended already; returns the terminal event's id, or null when it had ended (or is unknown).
    /// </summary>
    ValueTask<long?> EndElsewhereAsync(string messageId, AnswerEvent terminal, MessageStatus status, CancellationToken cancellationToken = default);
}
