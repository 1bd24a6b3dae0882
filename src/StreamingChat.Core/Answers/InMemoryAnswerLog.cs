using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace StreamingChat.Core;

/// <summary>
/// Answers' event logs kept in this process: the single-machine default, so an answer is resumable on the instance that
/// produces it. Bounded by <see cref="AnswerOptions.MaxAnswers"/> and <see cref="AnswerOptions.MaxBytes"/> (ended answers go
/// oldest first), and an ended answer is kept <see cref="AnswerOptions.RetentionSeconds"/>. A reader waiting for the next event
/// costs one task, made only while it waits; appending wakes it.
/// </summary>
internal sealed partial class InMemoryAnswerLog : IAnswerLog
{
    private readonly ConcurrentDictionary<string, Entry> _answers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Entry> _latestBySession = new(StringComparer.Ordinal);

    // Ended answers in the order they ended: the first is the first to expire, and the first to go when the log is full.
    private readonly ConcurrentQueue<Entry> _ended = new();
    private readonly Lock _trimming = new();
    private readonly IOptionsMonitor<AnswerOptions> _options;
    private readonly TimeProvider _time;
    private long _bytes;

    // The answers kept, counted here: ConcurrentDictionary.Count takes every one of its locks, and Trim asks after each
    // answer (9 % of the host's CPU in a profile of one-token answers).
    private int _count;

    /// <summary>Creates an empty log.</summary>
    public InMemoryAnswerLog(IOptionsMonitor<AnswerOptions> options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Creates an empty log with fixed options.</summary>
    public InMemoryAnswerLog(AnswerOptions options, TimeProvider? timeProvider = null)
        : this(new FixedOptionsMonitor<AnswerOptions>(options ?? throw new ArgumentNullException(nameof(options))), timeProvider)
    {
    }

    /// <summary>Answers whose logs are kept now, running or ended.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Bytes of events kept now (an estimate: text as UTF-16, audio as its bytes).</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <inheritdoc/>
    public ValueTask CreateAsync(AnswerInfo answer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(answer);
        var entry = new Entry(answer);
        if (!_answers.TryAdd(answer.MessageId, entry))
        {
            throw new InvalidOperationException($"An answer with id '{answer.MessageId}' is logged already.");
        }

        Interlocked.Increment(ref _count);
        _latestBySession[answer.SessionId] = entry;
        Trim();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<long> AppendAsync(string messageId, AnswerEvent streamEvent, CancellationToken cancellationToken = default)
    {
        if (streamEvent.IsTerminal)
        {
            throw new ArgumentException("The terminal event is appended with EndAsync.", nameof(streamEvent));
        }

        return ValueTask.FromResult(Append(Running(messageId), streamEvent, status: null));
    }

    /// <inheritdoc/>
    public ValueTask<long> EndAsync(string messageId, AnswerEvent terminal, MessageStatus status, CancellationToken cancellationToken = default)
    {
        if (!terminal.IsTerminal)
        {
            throw new ArgumentException("Only a done or error event ends an answer.", nameof(terminal));
        }

        var entry = Running(messageId);
        var id = Append(entry, terminal, status);
        _ended.Enqueue(entry);
        Trim();
        return ValueTask.FromResult(id);
    }

    /// <inheritdoc/>
    public ValueTask<AnswerState?> GetAsync(string messageId, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(Kept(messageId)?.Snapshot());

    /// <inheritdoc/>
    public ValueTask<AnswerState?> GetLatestAsync(string sessionId, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(_latestBySession.TryGetValue(sessionId, out var entry) && !IsExpired(entry) ? entry.Snapshot() : null);

    /// <inheritdoc/>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<AnswerRead> ReadAsync(string messageId, long fromId, List<AnswerEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentOutOfRangeException.ThrowIfNegative(fromId);
        var entry = Kept(messageId);
        if (entry is null)
        {
            return AnswerRead.Missing;
        }

        while (true)
        {
            AnswerWaiter waiter;
            lock (entry)
            {
                if (entry.Erased)
                {
                    return AnswerRead.Missing;
                }

                if (fromId < entry.Count)
                {
                    entry.CopyTo((int)fromId, events);
                    return AnswerRead.Events;
                }

                if (entry.Status is not null)
                {
                    return AnswerRead.Ended;
                }

                // Signalled by the appender outside its lock; a pooled waiter, so waiting after every token allocates nothing.
                waiter = AnswerWaiter.Rent(entry.Unlink);
                entry.Waiters.Add(waiter);
            }

            await waiter.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public ValueTask EraseSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        EraseSession(sessionId);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Forgets every answer of the session kept here, running or ended; returns their ids. A reader waiting on one is woken
    /// and finds it missing. A scan of the log: erasure is rare, and the log is bounded.
    /// </summary>
    internal List<string> EraseSession(string sessionId)
    {
        var erased = new List<string>();
        foreach (var entry in _answers.Values)
        {
            if (entry.Info.SessionId != sessionId)
            {
                continue;
            }

            List<(AnswerWaiter Waiter, long Generation)> waiting;
            long bytes;
            lock (entry)
            {
                if (entry.Erased)
                {
                    continue;
                }

                entry.Erased = true;
                bytes = entry.Bytes;
                waiting = [.. entry.Waiters.Select(w => (w, w.Generation))];
                entry.Waiters.Clear();
            }

            if (_answers.TryRemove(new KeyValuePair<string, Entry>(entry.Info.MessageId, entry)))
            {
                Interlocked.Decrement(ref _count);
                Interlocked.Add(ref _bytes, -bytes);
            }

            _latestBySession.TryRemove(new KeyValuePair<string, Entry>(sessionId, entry));
            foreach (var (waiter, generation) in waiting)
            {
                waiter.Signal(generation);
            }

            erased.Add(entry.Info.MessageId);
        }

        return erased;
    }

    /// <summary>How the answer ended; null while it runs or when it is not kept.</summary>
    internal MessageStatus? StatusOf(string messageId) => Kept(messageId)?.Snapshot().Status;

    private long Append(Entry entry, in AnswerEvent streamEvent, MessageStatus? status)
    {
        // Usually one reader waits: it is woken without an allocation; more are copied out.
        AnswerWaiter? first = null;
        long firstGeneration = 0;
        (AnswerWaiter Waiter, long Generation)[]? more = null;
        long id;
        var size = AnswerEventSize.Of(streamEvent);
        lock (entry)
        {
            if (entry.Status is not null || entry.Erased)
            {
                throw new InvalidOperationException($"The answer '{entry.Info.MessageId}' has ended or was erased; nothing can be appended to it.");
            }

            id = entry.Count;
            entry.Add(streamEvent);
            entry.Bytes += size;
            if (status is not null)
            {
                entry.EndedAt = _time.GetTimestamp();
                entry.Status = status;

                // An ended answer is kept for its retention: its tokens as one string, not a string and a slot each.
                var compacted = entry.Compact();
                size -= entry.Bytes - compacted;
                entry.Bytes = compacted;
            }

            var waiting = entry.Waiters;
            if (waiting.Count > 0)
            {
                (first, firstGeneration) = (waiting[0], waiting[0].Generation);
                if (waiting.Count > 1)
                {
                    more = [.. waiting.Skip(1).Select(w => (w, w.Generation))];
                }

                waiting.Clear();
            }
        }

        Interlocked.Add(ref _bytes, size);
        first?.Signal(firstGeneration);
        foreach (var (waiter, generation) in more ?? [])
        {
            waiter.Signal(generation);
        }
        return id;
    }

    private Entry Running(string messageId)
        => _answers.TryGetValue(messageId, out var entry) ? entry : throw new InvalidOperationException($"No answer with id '{messageId}' is logged.");

    private Entry? Kept(string messageId) => _answers.TryGetValue(messageId, out var entry) && !IsExpired(entry) ? entry : null;

    private bool IsExpired(Entry entry)
    {
        var ended = Volatile.Read(ref entry.EndedAt);
        return ended != 0 && _time.GetElapsedTime(ended) >= TimeSpan.FromSeconds(_options.CurrentValue.RetentionSeconds);
    }

    /// <summary>Forgets expired answers, then ended ones oldest first while the log is over its bounds.</summary>
    private void Trim()
    {
        if (!_trimming.TryEnter())
        {
            return; // another thread is trimming
        }

        try
        {
            var options = _options.CurrentValue;
            while (_ended.TryPeek(out var oldest)
                && (IsExpired(oldest) || Volatile.Read(ref _count) > options.MaxAnswers || Interlocked.Read(ref _bytes) > options.MaxBytes)
                && _ended.TryDequeue(out oldest))
            {
                if (_answers.TryRemove(new KeyValuePair<string, Entry>(oldest.Info.MessageId, oldest)))
                {
                    Interlocked.Decrement(ref _count);
                    Interlocked.Add(ref _bytes, -oldest.Bytes);
                }

                _latestBySession.TryRemove(new KeyValuePair<string, Entry>(oldest.Info.SessionId, oldest));
            }
        }
        finally
        {
            _trimming.Exit();
        }
    }
}
