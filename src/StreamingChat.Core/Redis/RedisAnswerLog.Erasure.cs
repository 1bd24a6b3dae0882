using StackExchange.Redis;

namespace StreamingChat.Core;

/// <summary>Erasing a session's answers: from this instance, from Redis, and (announced) from every other instance.</summary>
internal sealed partial class RedisAnswerLog
{
    /// <inheritdoc/>
    /// <remarks>
    /// Throws a <see cref="RedisException"/> (or a timeout) when Redis cannot be reached: what it holds of the session is
    /// still there then, and the erasure must be asked again.
    /// </remarks>
    public async ValueTask EraseSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        EraseHere(sessionId);
        var database = _redis.Database;
        var ids = (await database.SetMembersAsync(SessionAnswersKey(sessionId)).ConfigureAwait(false)).Select(id => id.ToString()).ToHashSet(StringComparer.Ordinal);
        if (await database.StringGetAsync(SessionKey(sessionId)).ConfigureAwait(false) is { IsNull: false } latest)
        {
            ids.Add(latest.ToString());
        }

        // Each answer's keys share its hash tag, and the session's share the session's: one command per slot.
        var batch = database.CreateBatch();
        var deletions = new List<Task>();
        foreach (var messageId in ids)
        {
            deletions.Add(batch.KeyDeleteAsync([EventsKey(messageId), MetaKey(messageId), ReadKey(messageId), ClaimKey(messageId), LostReadKey(messageId)]));
            deletions.Add(batch.HashDeleteAsync(RunningKey, messageId));
        }

        deletions.Add(batch.KeyDeleteAsync([SessionKey(sessionId), SessionAnswersKey(sessionId)]));
        batch.Execute();
        await Task.WhenAll(deletions).ConfigureAwait(false);

        // The other instances forget their copies (the producing one keeps its answers in memory for their retention).
        await _redis.Multiplexer.GetSubscriber().PublishAsync(EraseChannel, sessionId).ConfigureAwait(false);
    }

    /// <summary>Another instance (or this one) erased a session: what this instance keeps of it goes.</summary>
    internal void OnSessionErased(string sessionId)
    {
        EraseHere(sessionId);
        _sessionErased?.Invoke(sessionId);
    }

    /// <summary>Forgets the session's answers kept in this instance's memory, and stops writing them to Redis.</summary>
    private void EraseHere(string sessionId)
    {
        foreach (var messageId in _local.EraseSession(sessionId))
        {
            if (_mirrors.TryRemove(messageId, out var mirror))
            {
                mirror.Done.TrySetResult();
            }
        }
    }
}
