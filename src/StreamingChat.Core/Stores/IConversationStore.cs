namespace StreamingChat.Core;

/// <summary>Where the turns of conversations are kept, and who owns each conversation (session).</summary>
public interface IConversationStore
{
    /// <summary>Stores turns, in order. A turn whose <see cref="ConversationMessage.MessageId"/> is already stored replaces it.</summary>
    Task AppendAsync(IReadOnlyList<ConversationMessage> messages, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gets the most recent turns of a session, oldest first, at most <paramref name="maxMessages"/> of them, and only those
    /// stored with <paramref name="owner"/> (every turn of the session when <paramref name="owner"/> is null). With
    /// <paramref name="beforeMessageId"/>, only turns older than that one (none when it is not a turn of the session).
    /// </summary>
    Task<IReadOnlyList<ConversationMessage>> GetRecentAsync(string sessionId, string? owner, int maxMessages, string? beforeMessageId = null, CancellationToken cancellationToken = default);

    /// <summary>One turn by its message id (an answer's <c>messageId</c>), or null when none is stored.</summary>
    Task<ConversationMessage?> GetMessageAsync(string messageId, CancellationToken cancellationToken = default);

    /// <summary>The session's record, or null when there is none.</summary>
    Task<ConversationSession?> GetSessionAsync(string sessionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records <paramref name="session"/> unless a session of that id exists, in one atomic step, so two callers racing for a
    /// new id never both get it. Returns the stored record: <paramref name="session"/> when it was created now, else the
    /// existing one (compare its <see cref="ConversationSession.Owner"/>).
    /// </summary>
    Task<ConversationSession> GetOrCreateSessionAsync(ConversationSession session, CancellationToken cancellationToken = default);

    /// <summary>Deletes the session's record and every turn of it. False when there was nothing to delete.</summary>
    Task<bool> DeleteSessionAsync(string sessionId, CancellationToken cancellationToken = default);
}

/// <summary>Shorthands over <see cref="IConversationStore"/>.</summary>
public static class ConversationStoreExtensions
{
    /// <summary>Gets the most recent turns of a session whoever owns them, oldest first, at most <paramref name="maxMessages"/>.</summary>
    public static Task<IReadOnlyList<ConversationMessage>> GetRecentAsync(this IConversationStore store, string sessionId, int maxMessages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.GetRecentAsync(sessionId, owner: null, maxMessages, beforeMessageId: null, cancellationToken);
    }
}

/// <summary>A conversation and who owns it.</summary>
/// <param name="SessionId">The session's id.</param>
/// <param name="Owner">Who owns it: a signed-in user, a session key's holder, or null when sessions have no owners.</param>
/// <param name="CreatedAt">When it was created.</param>
public sealed record ConversationSession(string SessionId, string? Owner, DateTimeOffset CreatedAt);
