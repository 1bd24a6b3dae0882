using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;

namespace StreamingChat.Core;

/// <summary>
/// One reader waiting for an answer's next event, reused from a pool: a reader that waits after every token costs no
/// allocation. Armed with a generation number, so a signal that arrives late, after the waiter has been completed,
/// returned and armed again for another wait, is ignored. The reader resumes on the signalling (producer's) thread: it
/// writes its events out on the producer's turn, as a request pulling the model's stream itself would, and a token costs
/// no hop through the thread pool, which under load means a worker woken per token (see benchmarks/README.md for the
/// figures either way).
/// </summary>
internal sealed class AnswerWaiter : IValueTaskSource
{
    private static readonly ConcurrentQueue<AnswerWaiter> Pool = new();
    private static int _pooled;
    private static long _generations;

    private ManualResetValueTaskSourceCore<bool> _core;
    private CancellationTokenRegistration _registration;
    private Action<AnswerWaiter>? _onCancel;
    private long _armed;

    /// <summary>The generation this wait was armed with; pass it to <see cref="Signal"/>.</summary>
    public long Generation { get; private set; }

    /// <summary>A waiter from the pool, armed for one wait; <paramref name="onCancel"/> (under the caller's care) unlinks it.</summary>
    public static AnswerWaiter Rent(Action<AnswerWaiter> onCancel)
    {
        if (!Pool.TryDequeue(out var waiter))
        {
            waiter = new AnswerWaiter();
        }
        else
        {
            Interlocked.Decrement(ref _pooled);
        }

        waiter._core.Reset();
        waiter._onCancel = onCancel;
        waiter.Generation = Interlocked.Increment(ref _generations);
        Volatile.Write(ref waiter._armed, waiter.Generation);
        return waiter;
    }

    /// <summary>Starts waiting: the returned task completes on <see cref="Signal"/>, or fails when <paramref name="cancellationToken"/> is cancelled.</summary>
    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(static (state, token) => ((AnswerWaiter)state!).Cancel(token), this);
        }

        return new ValueTask(this, _core.Version);
    }

    /// <summary>Wakes the wait armed with <paramref name="generation"/>; does nothing for an older one.</summary>
    public void Signal(long generation)
    {
        if (Interlocked.CompareExchange(ref _armed, 0, generation) == generation)
        {
            _core.SetResult(true);
        }
    }

    private void Cancel(CancellationToken token)
    {
        var generation = Generation;
        _onCancel?.Invoke(this);
        if (Interlocked.CompareExchange(ref _armed, 0, generation) == generation)
        {
            _core.SetException(new OperationCanceledException(token));
        }
    }

    void IValueTaskSource.GetResult(short token)
    {
        try
        {
            _core.GetResult(token);
        }
        finally
        {
            _registration.Dispose();
            _registration = default;
            _onCancel = null;
            if (Interlocked.Increment(ref _pooled) <= 1024)
            {
                Pool.Enqueue(this);
            }
            else
            {
                Interlocked.Decrement(ref _pooled);
            }
        }
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}
