using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace StreamingChat.Core;

/// <summary>
/// Stores turns, and keeps those the store could not take: a question or an answer whose write fails waits here, in
/// order, and is written once the store answers again (by <see cref="TurnOutboxFlusher"/>), so nothing answered while
/// the store is away is lost. While any turn waits, later turns queue behind it, so a session's turns reach the store in
/// the order they were said; a turn written twice (a write that landed after its timeout) replaces itself, so each is
/// stored once. Bounded by <see cref="OutboxOptions.MaxTurns"/>: when that many wait, new questions are refused
/// (<see cref="IsFull"/>) rather than answered and forgotten; the answers already running still queue theirs.
/// With a copy (<see cref="ITurnOutboxCopy"/>: Redis, with <c>AddRedis()</c>) every kept turn is copied too, so the turns
/// of an instance that dies before the store is back are written by another.
/// </summary>
public sealed class TurnOutbox
{
    private readonly Queue<Kept> _pending = new();
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private readonly SemaphoreSlim _waiting = new(0);
    private readonly IConversationStore _store;
    private readonly IOptionsMonitor<OutboxOptions> _options;
    private readonly Func<TimeSpan> _timeout;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    // Sessions erased lately, whose turns are refused: an answer stopped by the erasure may still be ending.
    private readonly ErasedSessions _erased;

    /// <summary>Creates the outbox in front of <paramref name="store"/>.</summary>
    internal TurnOutbox(IConversationStore store, IOptionsMonitor<OutboxOptions> options, IOptionsMonitor<ChatStreamOptions> chat, TimeProvider timeProvider, ILogger<TurnOutbox> logger, IMeterFactory? meterFactory = null, ITurnOutboxCopy? copy = null)
    {
        _copy = copy;
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(chat);
        _store = store;
        _options = options;
        _timeout = () => TimeSpan.FromSeconds(chat.CurrentValue.PersistTimeoutSeconds);
        _time = timeProvider ?? TimeProvider.System;
        _erased = new ErasedSessions(_time);
        _logger = logger ?? NullLogger<TurnOutbox>.Instance;
        meterFactory?.Create(StreamingChatTelemetry.Name).CreateObservableGauge(
            StreamingChatTelemetry.Instruments.PendingTurns, () => Pending, "{turn}", "Turns waiting for the conversation store to answer again.");
    }

    /// <summary>An outbox in front of <paramref name="store"/> with the default options, for a pipeline built by hand.</summary>
    internal TurnOutbox(IConversationStore store, IOptionsMonitor<ChatStreamOptions> chat, TimeProvider time, ILogger logger)
    {
        _store = store;
        _options = new FixedOptionsMonitor<OutboxOptions>(new OutboxOptions());
        _timeout = () => TimeSpan.FromSeconds(chat.CurrentValue.PersistTimeoutSeconds);
        _time = time;
        _erased = new ErasedSessions(time);
        _logger = logger;
    }

    private readonly ITurnOutboxCopy? _copy;

    // The copy's writes, one after another in the order the turns were kept and written: the copy keeps the queue's order.
    private Task _copying = Task.CompletedTask;

    /// <summary>Turns waiting for the store.</summary>
    public int Pending
    {
        get
        {
            lock (_pending)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Whether as many turns wait as the outbox keeps: new questions must be refused until the store is back.</summary>
    public bool IsFull => Pending >= _options.CurrentValue.MaxTurns;

    /// <summary>
    /// Stores <paramref name="turn"/>, or keeps it for later when the store fails or other turns wait already; never
    /// throws, and waits at most the persist timeout.
    /// </summary>
    internal async Task WriteAsync(ConversationMessage turn)
    {
        ArgumentNullException.ThrowIfNull(turn);
        if (_erased.Contains(turn.SessionId))
        {
            return; // its session was erased while the answer ended: nothing of it is stored again
        }

        lock (_pending)
        {
            if (_pending.Count > 0)
            {
                Keep(turn);
                return;
            }
        }

        using var timeout = new CancellationTokenSource(_timeout(), _time);
        try
        {
            await _store.AppendAsync([turn], timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.PersistFailed(_logger, turn.MessageId, turn.ChatbotId, ex);
            lock (_pending)
            {
                Keep(turn);
            }

            _waiting.Release();
        }
    }

    /// <summary>
    /// Writes the waiting turns to the store in order, a batch at a time, until none waits (true) or the store fails
    /// (false: the turns stay, to be tried again).
    /// </summary>
    internal async Task<bool> FlushAsync(CancellationToken cancellationToken = default)
    {
        await _flushing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                Kept[] batch;
                lock (_pending)
                {
                    batch = [.. _pending.Take(100)];
                }

                if (batch.Length == 0)
                {
                    return true;
                }

                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_timeout());
                try
                {
                    await _store.AppendAsync([.. batch.Select(k => k.Turn)], timeout.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    Log.OutboxWaits(_logger, batch.Length, ex);
                    return false;
                }

                lock (_pending)
                {
                    // The batch's turns still queued, from the head (an erasure meanwhile took its session's out, copies too).
                    var written = batch.ToHashSet();
                    var copied = 0;
                    while (_pending.TryPeek(out var head) && written.Remove(head))
                    {
                        _pending.Dequeue();
                        copied += head.Copied ? 1 : 0;
                    }

                    // The copies of these turns go too: as many as were copied (a copy made while Redis was away is missing).
                    Copy(copy => copy.WrittenAsync(copied));
                }

                Log.OutboxFlushed(_logger, batch.Length);
            }
        }
        finally
        {
            _flushing.Release();
        }
    }

    /// <summary>
    /// Takes over the copied turns of instances that are gone, to be written with this instance's own; how many. None
    /// without a copy.
    /// </summary>
    internal async Task<int> AdoptAsync()
    {
        if (_copy is null)
        {
            return 0;
        }

        IReadOnlyList<ConversationMessage> adopted;
        try
        {
            adopted = await _copy.AdoptAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return 0; // Redis away: the turns wait there until it is back
        }

        lock (_pending)
        {
            foreach (var turn in adopted)
            {
                _pending.Enqueue(new Kept(turn) { Copied = true }); // moved to this instance's copy by the adoption
            }
        }

        if (adopted.Count > 0)
        {
            Log.OutboxAdopted(_logger, adopted.Count);
            _waiting.Release();
        }

        return adopted.Count;
    }

    /// <summary>
    /// Forgets the session's turns waiting here and their copies, and refuses its turns for a while (an answer stopped by
    /// the erasure may still be ending). Called on every instance when a session is erased.
    /// </summary>
    internal void EraseSession(string sessionId)
    {
        _erased.Add(sessionId);
        lock (_pending)
        {
            var kept = _pending.Where(k => k.Turn.SessionId != sessionId).ToList();
            if (kept.Count == _pending.Count)
            {
                return;
            }

            _pending.Clear();
            foreach (var turn in kept)
            {
                _pending.Enqueue(turn);
            }

            // After the copies written before: the copy loses the same turns as the queue, in the same place.
            Copy(copy => copy.EraseSessionAsync(sessionId));
        }
    }

    /// <summary>Queues a turn (under the queue's lock) and has it copied after the turns queued before it.</summary>
    private void Keep(ConversationMessage turn)
    {
        var kept = new Kept(turn);
        _pending.Enqueue(kept);
        Copy(async copy =>
        {
            await copy.KeepAsync(turn).ConfigureAwait(false);
            kept.Copied = true;
        });
    }

    /// <summary>Runs a write to the copy after the ones before it; a failed one is skipped (the turn is still kept here).</summary>
    private void Copy(Func<ITurnOutboxCopy, Task> write)
    {
        if (_copy is not { } copy)
        {
            return;
        }

        lock (_pending)
        {
            _copying = _copying.ContinueWith(
                async _ =>
                {
                    try
                    {
                        await write(copy).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        Log.OutboxCopyFailed(_logger, ex);
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.None,
                TaskScheduler.Default).Unwrap();
        }
    }

    /// <summary>A turn waiting for the store, and whether the copy has it.</summary>
    private sealed class Kept(ConversationMessage turn)
    {
        public ConversationMessage Turn { get; } = turn;

        public volatile bool Copied;
    }

    /// <summary>Completes when a turn has been kept for later (or at once, when one waits already).</summary>
    internal Task WhenKeptAsync(TimeSpan patience, CancellationToken cancellationToken)
        => Pending > 0 ? Task.CompletedTask : _waiting.WaitAsync(patience, cancellationToken);
}
