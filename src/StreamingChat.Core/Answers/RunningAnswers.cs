using System.Collections.Concurrent;

namespace StreamingChat.Core;

/// <summary>The answers being produced on this instance, by id and by session: what a stop, or a session's erasure, finds.</summary>
internal sealed class RunningAnswers
{
    private readonly ConcurrentDictionary<string, RunningAnswer> _byMessage = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RunningAnswer> _bySession = new(StringComparer.Ordinal);

    internal RunningAnswers()
    {
    }

    /// <summary>How many answers run now.</summary>
    public int Count => _byMessage.Count;

    /// <summary>The running answer of this id; null when none runs here.</summary>
    public RunningAnswer? Find(string messageId) => _byMessage.GetValueOrDefault(messageId);

    /// <summary>The session's running answer; null when none runs here.</summary>
    public RunningAnswer? FindInSession(string sessionId) => _bySession.GetValueOrDefault(sessionId);

    internal void Add(RunningAnswer answer)
    {
        _byMessage[answer.MessageId] = answer;
        _bySession[answer.Info.SessionId] = answer;
    }

    internal void Remove(RunningAnswer answer)
    {
        _byMessage.TryRemove(new KeyValuePair<string, RunningAnswer>(answer.MessageId, answer));
        _bySession.TryRemove(new KeyValuePair<string, RunningAnswer>(answer.Info.SessionId, answer));
    }
}
