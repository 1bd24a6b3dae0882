namespace StreamingChat.Core;

/// <summary>
/// The answers of the service, wherever they run: start one for an admitted question, read one from a position, stop
/// one, look one up. Whether an answer runs on this instance or on another one sharing the log (<c>AddRedis()</c>) is this
/// seam's business: a reader, a stop or a look-up behaves the same either way. Endpoints, relays and consoles use this and
/// nothing below it.
/// </summary>
public interface IAnswers
{
    /// <summary>
    /// Starts answering an admitted question, detached from any request: the answer runs until the model finishes, it is
    /// stopped, <see cref="AnswerAdmission.Deadline"/> is cancelled (it ends with <c>server_draining</c>), or no reader has
    /// been attached for <see cref="ChatStreamOptions.DisconnectGraceSeconds"/> (it ends with <c>answer_lost</c>). The answer
    /// owns <paramref name="admission"/> from here on, and lets go of what it holds when it ends. The <c>start</c> event (id
    /// 0) is in the log when this returns.
    /// </summary>
    Task<AnswerInfo> StartAsync(AnswerAdmission admission, CancellationToken cancellationToken = default);

    /// <summary>What is known of an answer whose log is kept; null when it is unknown or has expired.</summary>
    ValueTask<AnswerState?> GetAsync(string messageId, CancellationToken cancellationToken = default);

    /// <summary>The newest answer of a session whose log is kept (running or ended); null when there is none.</summary>
    ValueTask<AnswerState?> GetLatestAsync(string sessionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds to <paramref name="events"/> the answer's events from id <paramref name="fromId"/> on, waiting for the next one
    /// while the answer runs (see <see cref="IAnswerLog.ReadAsync"/>).
    /// </summary>
    ValueTask<AnswerRead> ReadAsync(string messageId, long fromId, List<AnswerEvent> events, CancellationToken cancellationToken = default);

    /// <summary>
    /// Counts a reader of the answer until the handle is disposed: while one reads, the answer runs on (a reader on another
    /// instance is seen through the shared log). Nothing to count when the answer does not run here.
    /// </summary>
    IDisposable AttachReader(string messageId);

    /// <summary>
    /// Stops a running answer wherever it runs: the model call is cancelled and what was said is stored as
    /// <see cref="MessageStatus.Stopped"/>, and every reader gets <c>done</c> with <c>finishReason: "stopped"</c>. Completes with
    /// how the answer ended (for one that had ended, that ending) once that is stored; null when the answer is unknown, or
    /// its end did not come in time (the store's write timeout, and for an answer produced elsewhere the lease that tells
    /// whether its instance lives).
    /// </summary>
    Task<AnswerEnding?> StopAsync(string messageId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Erases what is kept of a session besides its stored turns, on every instance: its answers' logs and pointers, and its
    /// turns waiting for the store (refused from now on). Stop its running answer first; delete its stored turns after.
    /// </summary>
    Task EraseSessionAsync(string sessionId, CancellationToken cancellationToken = default);
}
