using System.Collections.Concurrent;

namespace StreamingChat.Core;

/// <summary>The answers being produced on this instance, by id and by session: what a stop, or a session's erasure, finds.</summary>
public sealed class RunningAnswers
{
    private readonly ConcurrentDictionary<string, ChatAnswer> _byMessage = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ChatAnswer> _bySession = new(StringComparer.Ordinal);

    internal RunningAnswers()
    {
    }

    /// <summary>How many answers run now.</summary>
    public int Count => _byMessage.Count;

    /// <summary>The running answer of this id; null when none runs here.</summary>
    public ChatAnswer? Find(string messageId) => _byMessage.GetValueOrDefault(messageId);

    /// <summary>The session's running answer; null when none runs here.</summary>
    public ChatAnswer? FindInSession(string sessionId) => _bySession.GetValueOrDefault(sessionId);

    internal void Add(ChatAnswer answer)
    {
        _byMessage[answer.MessageId] = answer;
        _bySession[answer.Info.SessionId] = answer;
    }

    internal void Remove(ChatAnswer answer)
    {
        _byMessage.TryRemove(new KeyValuePair<string, ChatAnswer>(answer.MessageId, answer));
        _bySession.TryRemove(new KeyValuePair<string, ChatAnswer>(answer.Info.SessionId, answer));
    }
}
