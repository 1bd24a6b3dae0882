using Microsoft.Extensions.Options;

namespace StreamingChat.Core;

/// <summary>
/// Conversations kept in this process: the single-machine default. Each session keeps its newest
/// <see cref="ChatStreamOptions.InMemoryMessagesPerSession"/> turns, so a long-running process does not grow without bound.
/// </summary>
public sealed class InMemoryConversationStore : IConversationStore
{
    private readonly Dictionary<string, List<ConversationMessage>> _sessions = new(StringComparer.Ordinal);
    private readonly int _cap;

    /// <summary>Creates an empty store.</summary>
    public InMemoryConversationStore(IOptions<ChatStreamOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _cap = options.Value.InMemoryMessagesPerSession;
    }

    /// <inheritdoc/>
    public Task AppendAsync(IReadOnlyList<ConversationMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        lock (_sessions)
        {
            foreach (var message in messages)
            {
                if (!_sessions.TryGetValue(message.SessionId, out var turns))
                {
                    _sessions[message.SessionId] = turns = [];
                }

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
            if (maxMessages <= 0 || !_sessions.TryGetValue(sessionId, out var turns))
            {
                return Task.FromResult<IReadOnlyList<ConversationMessage>>([]);
            }

            var skip = Math.Max(0, turns.Count - maxMessages);
            return Task.FromResult<IReadOnlyList<ConversationMessage>>(turns.GetRange(skip, turns.Count - skip));
        }
    }
}
