namespace StreamingChat.Core;

/// <summary>
/// An answer being produced on this instance, detached from any request: readers attach and leave, a stop ends it, and
/// <see cref="Completion"/> tells how it ended. Its model call is cancelled by a stop, by the drain deadline, or when no
/// reader has been attached for <see cref="ChatStreamOptions.DisconnectGraceSeconds"/>.
/// </summary>
internal sealed class RunningAnswer
{
    private readonly CancellationTokenSource _cancellation = new();
    private readonly TaskCompletionSource<AnswerEnding> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _readersLock = new();
    private readonly TimeSpan _grace;
    private readonly TimeProvider _time;
    private readonly CancellationTokenRegistration _deadline;
    private readonly Func<string, ValueTask<bool>>? _readElsewhere;
    private ITimer? _graceTimer;
    private int _readers;
    private int _reason;

    internal RunningAnswer(AnswerInfo info, CancellationToken deadline, TimeSpan grace, TimeProvider time, Func<string, ValueTask<bool>>? readElsewhere = null)
    {
        Info = info;
        _grace = grace;
        _time = time;
        _readElsewhere = readElsewhere;

        // Until the first reader attaches, the answer is as alone as after the last one left; with no grace at all, the
        // starting request attaches at once, and only its leaving counts.
        if (grace > TimeSpan.Zero)
        {
            StartGrace();
        }
        _deadline = deadline.Register(static s => ((RunningAnswer)s!).Cancel(AnswerStopReason.Draining), this);
    }

    /// <summary>What the answer is.</summary>
    public AnswerInfo Info { get; }

    /// <summary>The answer's id.</summary>
    public string MessageId => Info.MessageId;

    /// <summary>How many readers are attached now.</summary>
    public int Readers => Volatile.Read(ref _readers);

    /// <summary>Completes once the answer has been stored and its terminal event logged.</summary>
    public Task<AnswerEnding> Completion => _ended.Task;

    /// <summary>Why the model call was cancelled; <see cref="AnswerStopReason.None"/> while it was not.</summary>
    internal AnswerStopReason StopReason => (AnswerStopReason)Volatile.Read(ref _reason);

    /// <summary>Cancelled when the answer must end before the model finishes.</summary>
    internal CancellationToken Cancellation => _cancellation.Token;

    /// <summary>Counts a reader until the returned handle is disposed; while one is attached the answer runs on.</summary>
    public IDisposable AttachReader()
    {
        lock (_readersLock)
        {
            _readers++;
            _graceTimer?.Dispose();
            _graceTimer = null;
        }

        return new Reader(this);
    }

    /// <summary>
    /// Stops the answer: the model call is cancelled and what was said is stored as <see cref="MessageStatus.Stopped"/>.
    /// Completes when that is stored and every reader has been sent <c>done</c> with <c>finishReason: "stopped"</c>; for an
    /// answer that ended already, with how it ended. Idempotent.
    /// </summary>
    public Task<AnswerEnding> StopAsync()
    {
        Cancel(AnswerStopReason.Stopped);
        return Completion;
    }

    internal void Complete(AnswerEnding ending)
    {
        lock (_readersLock)
        {
            _graceTimer?.Dispose();
            _graceTimer = null;
        }

        _deadline.Dispose();
        _ended.TrySetResult(ending);
    }

    private void Detach()
    {
        lock (_readersLock)
        {
            if (--_readers > 0)
            {
                return;
            }
        }

        StartGrace();
    }

    private void StartGrace()
    {
        if (_grace <= TimeSpan.Zero)
        {
            Cancel(AnswerStopReason.NoReader);
            return;
        }

        lock (_readersLock)
        {
            if (_readers == 0 && !_ended.Task.IsCompleted)
            {
                _graceTimer?.Dispose();
                _graceTimer = _time.CreateTimer(static s => ((RunningAnswer)s!).OnGraceOver(), this, _grace, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void OnGraceOver()
    {
        lock (_readersLock)
        {
            if (_readers > 0)
            {
                return;
            }
        }

        if (_readElsewhere is null)
        {
            Cancel(AnswerStopReason.NoReader);
        }
        else
        {
            _ = CheckReadersElsewhereAsync(_readElsewhere);
        }
    }

    /// <summary>With a shared log a reader may be on another instance: while one reads, the answer is not alone.</summary>
    private async Task CheckReadersElsewhereAsync(Func<string, ValueTask<bool>> readElsewhere)
    {
        bool read;
        try
        {
            read = await readElsewhere(MessageId).ConfigureAwait(false);
        }
        catch (Exception)
        {
            read = false; // cannot tell: as alone as it looks here
        }

        if (read)
        {
            StartGrace();
            return;
        }

        lock (_readersLock)
        {
            if (_readers > 0)
            {
                return;
            }
        }

        Cancel(AnswerStopReason.NoReader);
    }

    /// <summary>Another instance ended this answer in the shared log (it took this one for dead): stop producing it.</summary>
    internal void EndedElsewhere() => Cancel(AnswerStopReason.EndedElsewhere);

    private void Cancel(AnswerStopReason reason)
    {
        if (Interlocked.CompareExchange(ref _reason, (int)reason, 0) == 0)
        {
            // Off this thread: the model call's cancellation callbacks must not run under a caller's lock or request.
            _ = _cancellation.CancelAsync();
        }
    }

    private sealed class Reader(RunningAnswer answer) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                answer.Detach();
            }
        }
    }
}

/// <summary>How an answer ended.</summary>
/// <param name="MessageId">The answer's id.</param>
/// <param name="Status">Its stored status.</param>
/// <param name="Answer">Its text, as stored.</param>
/// <param name="LastEventId">The id of its terminal event.</param>
/// <param name="OutputTokens">The tokens it used: the model's count when it gave one, else the token pieces sent.</param>
public sealed record AnswerEnding(string MessageId, MessageStatus Status, string Answer, long LastEventId, long OutputTokens);

/// <summary>Why an answer's model call was cancelled.</summary>
internal enum AnswerStopReason
{
    None,
    Stopped,
    Draining,
    NoReader,
    EndedElsewhere,
}
