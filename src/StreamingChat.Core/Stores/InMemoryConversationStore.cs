using Microsoft.Extensions.Options;

namespace StreamingChat.Core;

/// <summary>
/// Conversations kept in this process: the single-machine default. Each session keeps its newest
/// <see cref="ChatStreamOptions.InMemoryMessagesPerSession"/> turns, and the store its
/// <see cref="ChatStreamOptions.InMemorySessions"/> most recently written sessions, so a long-running process does not
/// grow without bound.
/// </summary>
public sealed class InMemoryConversationStore : IConversationStore
{
    // Sessions in the order they were last written to, oldest first: the first is the one forgotten when the store is full.
    private readonly Dictionary<string, LinkedListNode<(string SessionId, List<ConversationMessage> Turns)>> _sessions = new(StringComparer.Ordinal);
    private readonly LinkedList<(string SessionId, List<ConversationMessage> Turns)> _byLastWrite = new();
    private readonly int _cap;
    private readonly int _maxSessions;

    /// <summary>Creates an empty store.</summary>
    public InMemoryConversationStore(IOptions<ChatStreamOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _cap = options.Value.InMemoryMessagesPerSession;
        _maxSessions = options.Value.InMemorySessions;
    }

    /// <inheritdoc/>
    public Task AppendAsync(IReadOnlyList<ConversationMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        lock (_sessions)
        {
            foreach (var message in messages)
            {
                var turns = Touch(message.SessionId);
                var existing = turns.FindIndex(m => m.MessageId == message.MessageId);
                if (existing >= 0)
                {
                    turns[existing] = message;
                }
                else
                {
                    turns.Add(message);
                    if (turns.Count > _cap)
                    {
                        turns.RemoveRange(0, turns.Count - _cap);
                    }
                }
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<ConversationMessage>> GetRecentAsync(string sessionId, int maxMessages, CancellationToken cancellationToken = default)
    {
        lock (_sessions)
        {
            if (maxMessages <= 0 || !_sessions.TryGetValue(sessionId, out var node))
            {
                return Task.FromResult<IReadOnlyList<ConversationMessage>>([]);
            }

            var turns = node.Value.Turns;

            var skip = Math.Max(0, turns.Count - maxMessages);
            return Task.FromResult<IReadOnlyList<ConversationMessage>>(turns.GetRange(skip, turns.Count - skip));
        }
    }

    /// <summary>The session's turns, made the most recently written; a new session past the limit replaces the oldest.</summary>
    private List<ConversationMessage> Touch(string sessionId)
    {
        if (_sessions.TryGetValue(sessionId, out var node))
        {
            _byLastWrite.Remove(node);
            _byLastWrite.AddLast(node);
            return node.Value.Turns;
        }

        if (_sessions.Count >= _maxSessions && _byLastWrite.First is { } oldest)
        {
            _byLastWrite.RemoveFirst();
            _sessions.Remove(oldest.Value.SessionId);
        }

        node = _byLastWrite.AddLast((sessionId, new List<ConversationMessage>()));
        _sessions[sessionId] = node;
        return node.Value.Turns;
    }
}
