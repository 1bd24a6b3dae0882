namespace StreamingChat.Core;

/// <summary>Where the turns of conversations are kept.</summary>
public interface IConversationStore
{
    /// <summary>Stores turns, in order. A turn whose <see cref="ConversationMessage.MessageId"/> is already stored replaces it.</summary>
    Task AppendAsync(IReadOnlyList<ConversationMessage> messages, CancellationToken cancellationToken = default);

    /// <summary>Gets the most recent turns of a session, oldest first, at most <paramref name="maxMessages"/> of them.</summary>
    Task<IReadOnlyList<ConversationMessage>> GetRecentAsync(string sessionId, int maxMessages, CancellationToken cancellationToken = default);
}
