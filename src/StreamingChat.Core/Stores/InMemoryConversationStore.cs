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
    private readonly Dictionary<string, LinkedListNode<Session>> _sessions = new(StringComparer.Ordinal);
    private readonly LinkedList<Session> _byLastWrite = new();

    // Which session each kept turn is in, for reading one turn by its id.
    private readonly Dictionary<string, Session> _byMessage = new(StringComparer.Ordinal);
    private readonly int _cap;
    private readonly int _maxSessions;
    private readonly TimeProvider _time;

    /// <summary>Creates an empty store.</summary>
    public InMemoryConversationStore(IOptions<ChatStreamOptions> options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _cap = options.Value.InMemoryMessagesPerSession;
        _maxSessions = options.Value.InMemorySessions;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc/>
    public Task AppendAsync(IReadOnlyList<ConversationMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        lock (_sessions)
        {
            foreach (var message in messages)
            {
                var session = Touch(message.SessionId, message.Owner, message.CreatedAt);
                var turns = session.Turns;
                var existing = _byMessage.TryGetValue(message.MessageId, out var holder) && ReferenceEquals(holder, session) ? turns.FindLastIndex(m => m.MessageId == message.MessageId) : -1;
                if (existing >= 0)
                {
                    turns[existing] = message;
                }
                else
                {
                    turns.Add(message);
                    _byMessage[message.MessageId] = session;
                    if (turns.Count > _cap)
                    {
                        foreach (var forgotten in turns.Take(turns.Count - _cap))
                        {
                            _byMessage.Remove(forgotten.MessageId);
                        }

                        turns.RemoveRange(0, turns.Count - _cap);
                    }
                }
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<ConversationMessage>> GetRecentAsync(string sessionId, string? owner, int maxMessages, string? beforeMessageId = null, CancellationToken cancellationToken = default)
    {
        lock (_sessions)
        {
            if (maxMessages <= 0 || !_sessions.TryGetValue(sessionId, out var node))
            {
                return Task.FromResult<IReadOnlyList<ConversationMessage>>([]);
            }

            var turns = node.Value.Turns;
            var end = beforeMessageId is null ? turns.Count : turns.FindIndex(m => m.MessageId == beforeMessageId);
            var kept = new List<ConversationMessage>(Math.Min(maxMessages, Math.Max(end, 0)));
            for (var i = end - 1; i >= 0 && kept.Count < maxMessages; i--)
            {
                if (owner is null || turns[i].Owner == owner)
                {
                    kept.Add(turns[i]);
                }
            }

            kept.Reverse();
            return Task.FromResult<IReadOnlyList<ConversationMessage>>(kept);
        }
    }

    /// <inheritdoc/>
    public Task<ConversationMessage?> GetMessageAsync(string messageId, CancellationToken cancellationToken = default)
    {
        lock (_sessions)
        {
            return Task.FromResult(_byMessage.TryGetValue(messageId, out var session) ? session.Turns.FindLast(m => m.MessageId == messageId) : null);
        }
    }

    /// <inheritdoc/>
    public Task<ConversationSession?> GetSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        lock (_sessions)
        {
            return Task.FromResult(_sessions.TryGetValue(sessionId, out var node) ? node.Value.Record : null);
        }
    }

    /// <inheritdoc/>
    public Task<ConversationSession> GetOrCreateSessionAsync(ConversationSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        lock (_sessions)
        {
            return Task.FromResult(_sessions.TryGetValue(session.SessionId, out var node) ? node.Value.Record : Add(session).Record);
        }
    }

    /// <inheritdoc/>
    public Task<bool> DeleteSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        lock (_sessions)
        {
            if (!_sessions.Remove(sessionId, out var node))
            {
                return Task.FromResult(false);
            }

            Forget(node);
            return Task.FromResult(true);
        }
    }

    /// <summary>The session, made the most recently written; a session not yet recorded is created with its first turn's owner.</summary>
    private Session Touch(string sessionId, string? owner, DateTimeOffset at)
    {
        if (_sessions.TryGetValue(sessionId, out var node))
        {
            _byLastWrite.Remove(node);
            _byLastWrite.AddLast(node);
            return node.Value;
        }

        return Add(new ConversationSession(sessionId, owner, at == default ? _time.GetUtcNow() : at));
    }

    /// <summary>Adds a session as the most recently written; past the limit the least recently written one goes.</summary>
    private Session Add(ConversationSession record)
    {
        if (_sessions.Count >= _maxSessions && _byLastWrite.First is { } oldest)
        {
            _sessions.Remove(oldest.Value.Record.SessionId);
            Forget(oldest);
        }

        var node = _byLastWrite.AddLast(new Session(record, []));
        _sessions[record.SessionId] = node;
        return node.Value;
    }

    private void Forget(LinkedListNode<Session> node)
    {
        _byLastWrite.Remove(node);
        foreach (var turn in node.Value.Turns)
        {
            _byMessage.Remove(turn.MessageId);
        }
    }

    private sealed record Session(ConversationSession Record, List<ConversationMessage> Turns);
}
