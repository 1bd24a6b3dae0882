using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace StreamingChat.Core;

/// <summary>Writing answers produced here to Redis, behind the producer.</summary>
internal sealed partial class RedisAnswerLog
{
    // KEYS: record hash, stream. ARGV: info JSON, producer, lifetime (ms). Opens an answer's record unless it exists.
    private const string CreateScript = """
        if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        redis.call('HSET', KEYS[1], 'info', ARGV[1], 'count', '0', 'producer', ARGV[2])
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        return 1
        """;

    // KEYS: record hash, stream. ARGV: id of the first event (-1: the next one), status ('' while running), lifetime (ms),
    // channel, '1' when another instance ends the answer of a producer gone (else '0'), then field and value of each event.
    // Adds the events whose ids are not taken, in order, while the answer runs; returns the count of events after it, -1
    // when the answer has ended, -3 when it is not known, -4 on a gap.
    private const string AppendScript = """
        local st = redis.call('HMGET', KEYS[1], 'status', 'count')
        if not st[2] then return -3 end
        if st[1] then return -1 end
        local count = tonumber(st[2])
        local id = tonumber(ARGV[1])
        if id < 0 then id = count end
        if id > count then return -4 end
        for i = 6, #ARGV, 2 do
          if id >= count then
            redis.call('XADD', KEYS[2], id .. '-1', ARGV[i], ARGV[i + 1])
            count = id + 1
          end
          id = id + 1
        end
        if ARGV[2] == '' then
          redis.call('HSET', KEYS[1], 'count', count)
        elseif ARGV[5] == '1' then
          redis.call('HSET', KEYS[1], 'count', count, 'status', ARGV[2], 'lost', '1')
        else
          redis.call('HSET', KEYS[1], 'count', count, 'status', ARGV[2])
        end
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        redis.call('PEXPIRE', KEYS[2], ARGV[3])
        redis.call('PUBLISH', ARGV[4], count)
        return count
        """;

    /// <summary>
    /// After <paramref name="id"/> was appended here: the first event and the terminal one are written at once (a reader
    /// elsewhere finds the answer, and its end, without delay); the others with the next tick of the write timer, in one
    /// write per answer (<see cref="AnswerOptions.WriteIntervalMilliseconds"/>): a script call per token would cost the
    /// producing instance more CPU than relaying the token does.
    /// </summary>
    private void Written(string messageId, long id, bool now)
    {
        if (_mirrors.TryGetValue(messageId, out var mirror))
        {
            InterlockedMax(ref mirror.Appended, id + 1);
            if (now || id == 0)
            {
                Kick(mirror);
            }
        }
    }

    /// <summary>Starts the mirror's writer unless one runs; it writes until Redis has every event appended here.</summary>
    private void Kick(Mirror mirror)
    {
        if (mirror.Gate.Wait(0))
        {
            _ = WriteAsync(mirror);
        }
    }

    /// <summary>Has every mirror that is behind write what it has: the write timer's tick (and a retry after a failed write).</summary>
    internal void WriteBehind()
    {
        foreach (var mirror in _mirrors.Values)
        {
            if (Volatile.Read(ref mirror.Written) < Volatile.Read(ref mirror.Appended))
            {
                Kick(mirror);
            }
        }
    }

    /// <summary>
    /// One write of what was appended since the last, holding the mirror's gate (released here). What is appended while it
    /// is on its way waits for the timer's next tick: writing again at once would write a token at a time under load.
    /// </summary>
    private async Task WriteAsync(Mirror mirror)
    {
        try
        {
            if (mirror.Written < Volatile.Read(ref mirror.Appended))
            {
                await WriteNextAsync(mirror, mirror.Batch, terminal: null, status: null).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Behind(mirror, ex);
        }
        finally
        {
            mirror.Gate.Release();
        }
    }

    /// <summary>
    /// Writes an answer's last events and its terminal event to Redis before this instance's readers get the terminal
    /// event: whoever a reader tells next (a new question on another instance, say) finds the answer ended there too.
    /// </summary>
    private async Task WriteEndAsync(Mirror mirror, AnswerEvent terminal, MessageStatus status)
    {
        var patience = TimeSpan.FromMilliseconds(_redis.Options.TimeoutMilliseconds + 1000);
        if (!await mirror.Gate.WaitAsync(patience).ConfigureAwait(false))
        {
            return; // a write hangs: the terminal event goes to Redis behind it, from this instance's log
        }

        try
        {
            await WriteNextAsync(mirror, mirror.Batch, terminal, status).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Behind(mirror, ex);
        }
        finally
        {
            mirror.Gate.Release();
        }
    }

    /// <summary>
    /// One write: the events from <see cref="Mirror.Written"/> on, read back from this instance's log (the one copy, so a
    /// failed write is simply done again), with <paramref name="terminal"/> after them when given. False when the mirror is
    /// done with (ended, or gone from here).
    /// </summary>
    private async Task<bool> WriteNextAsync(Mirror mirror, List<AnswerEvent> events, AnswerEvent? terminal, MessageStatus? status)
    {
        var from = mirror.Written;
        events.Clear();
        var read = from < Volatile.Read(ref mirror.Appended) ? await _local.ReadAsync(mirror.Info.MessageId, from, events).ConfigureAwait(false) : AnswerRead.Events;
        if (read != AnswerRead.Events)
        {
            Forget(mirror); // expired here before Redis came back: nothing left to write
            return false;
        }

        if (terminal is { } last)
        {
            events.Add(last);
        }

        if (events.Count == 0)
        {
            return true;
        }

        var written = await WriteBatchAsync(mirror, from, events, status).ConfigureAwait(false);
        if (written < 0)
        {
            Forget(mirror);
            if (written == -1 && !events[^1].IsTerminal)
            {
                // Another instance took this one for dead and ended the answer: stop producing it.
                _endedElsewhere?.Invoke(mirror.Info.MessageId);
            }

            return false;
        }

        mirror.Written = written;
        mirror.Failures = 0;
        if (events[^1].IsTerminal && written >= from + events.Count)
        {
            Forget(mirror);
            await TryRedisAsync(() => _redis.Database.HashDeleteAsync(RunningKey, mirror.Info.MessageId)).ConfigureAwait(false);
            return false;
        }

        return true;
    }

    /// <summary>Redis away: the events stay here and are written when it answers (the write timer tries again).</summary>
    private void Behind(Mirror mirror, Exception exception)
    {
        if (mirror.Failures++ == 0)
        {
            Log.AnswerLogBehind(_logger, exception);
        }
    }

    /// <summary>
    /// Opens the answer in Redis (its record, the running set, the session's latest answer) before it starts: from the
    /// first byte a client reads, any instance it reconnects to knows the answer, and refuses a second one in its session.
    /// </summary>
    private async Task OpenAsync(AnswerInfo info)
    {
        if (!LeaseIsFresh())
        {
            await RenewLeaseAsync().ConfigureAwait(false);
        }

        var messageId = info.MessageId;
        var batch = _redis.Database.CreateBatch();
        var created = batch.ScriptEvaluateAsync(CreateScript, [MetaKey(messageId), EventsKey(messageId)], [AnswerEventCodec.EncodeInfo(info), InstanceId, RetentionMs]);
        var running = batch.HashSetAsync(RunningKey, messageId, InstanceId);
        var session = batch.StringSetAsync(SessionKey(info.SessionId), messageId, TimeSpan.FromDays(1));

        // Every answer of the session, so its erasure finds them all.
        var answers = batch.SetAddAsync(SessionAnswersKey(info.SessionId), messageId);
        var answersExpiry = batch.KeyExpireAsync(SessionAnswersKey(info.SessionId), TimeSpan.FromDays(1));
        batch.Execute();
        await Task.WhenAll(created, running, session, answers, answersExpiry).ConfigureAwait(false);
    }

    /// <summary>Adds the events to the answer in Redis: one script call.</summary>
    private async Task<long> WriteBatchAsync(Mirror mirror, long from, List<AnswerEvent> events, MessageStatus? status)
    {
        var messageId = mirror.Info.MessageId;
        var args = new RedisValue[2 * events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            (args[2 * i], args[(2 * i) + 1]) = AnswerEventCodec.Encode(events[i]);
        }

        var ended = events[^1].IsTerminal ? status ?? _local.StatusOf(messageId) : null;
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _batchedEvents, events.Count);
        return await AppendScriptAsync(messageId, from, ended is { } end ? StatusName(end) : "", args, endedElsewhere: false).ConfigureAwait(false);
    }

    private async Task<long> AppendScriptAsync(string messageId, long from, string status, RedisValue[] events, bool endedElsewhere)
    {
        RedisValue[] args = [from, status, RetentionMs, AnswerChannel(messageId).ToString(), endedElsewhere ? "1" : "0", .. events];
        return (long)await _redis.Database.ScriptEvaluateAsync(AppendScript, [MetaKey(messageId), EventsKey(messageId)], args).ConfigureAwait(false);
    }

    private void Forget(Mirror mirror)
    {
        _mirrors.TryRemove(new KeyValuePair<string, Mirror>(mirror.Info.MessageId, mirror));
        mirror.Done.TrySetResult();
    }

    private bool LeaseIsFresh()
    {
        var renewed = Volatile.Read(ref _leaseRenewedAt);
        return renewed != 0 && _time.GetElapsedTime(renewed) < TimeSpan.FromSeconds(_options.CurrentValue.LeaseSeconds / 3);
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Volatile.Read(ref target);
        while (current < value)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private long _batches;
    private long _batchedEvents;

    /// <summary>How many writes to Redis this instance made, and how many events they carried (the batching).</summary>
    public (long Writes, long Events) WriteCounts => (Interlocked.Read(ref _batches), Interlocked.Read(ref _batchedEvents));

    /// <summary>An answer produced here, and how much of it Redis has.</summary>
    private sealed class Mirror(AnswerInfo info)
    {
        public readonly AnswerInfo Info = info;
        public readonly TaskCompletionSource Done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Held by the one write on its way.</summary>
        public readonly SemaphoreSlim Gate = new(1, 1);

        /// <summary>The events of the write on its way (used under the gate only).</summary>
        public readonly List<AnswerEvent> Batch = [];
        public long Appended;
        public long Written;
        public int Failures;
    }
}
