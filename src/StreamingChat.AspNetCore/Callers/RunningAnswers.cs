using System.Collections.Concurrent;

namespace StreamingChat.AspNetCore;

/// <summary>
/// The answers running on this instance, by session: what <c>GET /api/chat/sessions/{id}</c> reports as
/// <c>activeMessageId</c>, and what <c>DELETE</c> stops (and waits for, so the stopped answer's final write cannot bring
/// the session back) before it erases the session.
/// </summary>
internal sealed class RunningAnswers
{
    private readonly ConcurrentDictionary<string, Running> _bySession = new(StringComparer.Ordinal);

    /// <summary>Records an answer as running until the returned handle is disposed; <paramref name="stop"/> cancels it.</summary>
    public IDisposable Start(string sessionId, string messageId, CancellationTokenSource stop)
    {
        var running = new Running(messageId, stop, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        _bySession[sessionId] = running;
        return new Handle(this, sessionId, running);
    }

    /// <summary>The message id of the session's running answer on this instance, if any.</summary>
    public string? ActiveMessageId(string sessionId) => _bySession.TryGetValue(sessionId, out var running) ? running.MessageId : null;

    /// <summary>Stops the session's running answer, if any, and waits (at most <paramref name="patience"/>) until it has been stored.</summary>
    public async Task StopAsync(string sessionId, TimeSpan patience)
    {
        if (!_bySession.TryGetValue(sessionId, out var running))
        {
            return;
        }

        await running.Stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await running.Ended.Task.WaitAsync(patience).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Its store write is bounded by the persist timeout, which the patience covers; past it, go on without it.
        }
    }

    private sealed record Running(string MessageId, CancellationTokenSource Stop, TaskCompletionSource Ended);

    private sealed class Handle(RunningAnswers owner, string sessionId, Running running) : IDisposable
    {
        public void Dispose()
        {
            owner._bySession.TryRemove(new KeyValuePair<string, Running>(sessionId, running));
            running.Ended.TrySetResult();
        }
    }
}
