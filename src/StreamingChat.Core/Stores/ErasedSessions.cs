using System.Collections.Concurrent;

namespace StreamingChat.Core;

/// <summary>
/// The sessions erased lately, remembered for a quarter of an hour: the outbox refuses their turns, since an answer the
/// erasure stopped may still be ending. Bounded: past 10,000 sessions, those remembered long enough are forgotten.
/// </summary>
internal sealed class ErasedSessions(TimeProvider time)
{
    private static readonly TimeSpan Remembered = TimeSpan.FromMinutes(15);
    private readonly ConcurrentDictionary<string, long> _erasedAt = new(StringComparer.Ordinal);

    /// <summary>Remembers that <paramref name="sessionId"/> was erased now.</summary>
    public void Add(string sessionId)
    {
        _erasedAt[sessionId] = time.GetTimestamp();
        if (_erasedAt.Count > 10_000)
        {
            foreach (var (erased, at) in _erasedAt)
            {
                if (time.GetElapsedTime(at) > Remembered)
                {
                    _erasedAt.TryRemove(erased, out _);
                }
            }
        }
    }

    /// <summary>Whether <paramref name="sessionId"/> was erased within the last quarter of an hour.</summary>
    public bool Contains(string sessionId)
        => _erasedAt.TryGetValue(sessionId, out var at) && time.GetElapsedTime(at) < Remembered;
}
