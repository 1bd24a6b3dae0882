using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace StreamingChat.Core;

/// <summary>Writing answers produced here to Redis, behind the producer.</summary>
public sealed partial class RedisAnswerLog
{
    // KEYS: record hash, stream. ARGV: info JSON, producer, lifetime (ms). Opens an answer's record unless it exists.
    private const string CreateScript = """
        if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        redis.call('HSET', KEYS[1], 'info', ARGV[1], 'count', '0', 'producer', ARGV[2])
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        return 1
        """;

    // KEYS: record hash, stream. ARGV: id of the first event (-1: the next one), status ('' while running), lifetime (ms),
    // channel, then field and value of each event. Adds the events whose ids are not taken, in order, while the answer runs;
    // returns the count of events after it, -1 when the answer has ended, -3 when it is not known, -4 on a gap.
    private const string AppendScript = """
        local st = redis.call('HMGET', KEYS[1], 'status', 'count')
        if not st[2] then return -3 end
        if st[1] then return -1 end
        local count = tonumber(st[2])
        local id = tonumber(ARGV[1])
        if id < 0 then id = count end
        if id > count then return -4 end
        for i = 5, #ARGV, 2 do
          if id >= count then
            redis.call('XADD', KEYS[2], id .. '-1', ARGV[i], ARGV[i + 1])
            count = id + 1
          end
          id = id + 1
        end
        if ARGV[2] == '' then
          redis.call('HSET', KEYS[1], 'count', count)
        else
          redis.call('HSET', KEYS[1], 'count', count, 'status', ARGV[2])
        end
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        redis.call('PEXPIRE', KEYS[2], ARGV[3])
        redis.call('PUBLISH', ARGV[4], count)
        return count
        """;

    /// <summary>After <paramref name="id"/> was appended here: has it written to Redis, unless a write is on its way.</summary>
    private void Written(string messageId, long id)
    {
        if (_mirrors.TryGetValue(messageId, out var mirror))
        {
            InterlockedMax(ref mirror.Appended, id + 1);
            Kick(mirror);
        }
    }

    /// <summary>Starts the mirror's writer unless it runs; it writes until Redis has every event appended here.</summary>
    private void Kick(Mirror mirror)
    {
        if (Interlocked.CompareExchange(ref mirror.Writing, 1, 0) == 0)
        {
            _ = WriteAsync(mirror);
        }
    }

    /// <summary>Has the mirrors that are behind (their last write failed) write again; the lease loop calls it.</summary>
    internal void RetryBehind()
    {
        foreach (var mirror in _mirrors.Values)
        {
            if (Volatile.Read(ref mirror.Written) < Volatile.Read(ref mirror.Appended))
            {
                Kick(mirror);
            }
        }
    }

    private async Task WriteAsync(Mirror mirror)
    {
        var events = new List<ChatStreamEvent>();
        try
        {
            while (true)
            {
                var from = mirror.Written;
                if (from >= Volatile.Read(ref mirror.Appended))
                {
                    Volatile.Write(ref mirror.Writing, 0);

                    // An append that came between the check and the release finds no writer: take it on.
                    if (from >= Volatile.Read(ref mirror.Appended) || Interlocked.CompareExchange(ref mirror.Writing, 1, 0) != 0)
                    {
                        return;
                    }

                    continue;
                }

                // The events are read back from this instance's log: the one copy, so a failed write is simply done again.
                events.Clear();
                var read = await _local.ReadAsync(mirror.Info.MessageId, from, events).ConfigureAwait(false);
                if (read != AnswerRead.Events)
                {
                    Forget(mirror); // expired here before Redis came back: nothing left to write
                    return;
                }

                var written = await WriteBatchAsync(mirror, from, events).ConfigureAwait(false);
                if (written < 0)
                {
                    Forget(mirror);
                    if (written == -1 && !events[^1].IsTerminal)
                    {
                        // Another instance took this one for dead and ended the answer: stop producing it.
                        _endedElsewhere?.Invoke(mirror.Info.MessageId);
                    }

                    return;
                }

                mirror.Written = written;
                mirror.Failures = 0;
                if (events[^1].IsTerminal && written >= from + events.Count)
                {
                    Forget(mirror);
                    await TryRedisAsync(() => _redis.Database.HashDeleteAsync(RunningKey, mirror.Info.MessageId)).ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Redis away: the events stay here and are written when it answers (the lease loop tries every few seconds).
            if (mirror.Failures++ == 0)
            {
                Log.AnswerLogBehind(_logger, ex);
            }

            Volatile.Write(ref mirror.Writing, 0);
        }
    }

    /// <summary>Opens the answer in Redis on its first write, then adds the events: one round trip for each.</summary>
    private async Task<long> WriteBatchAsync(Mirror mirror, long from, List<ChatStreamEvent> events)
    {
        var database = _redis.Database;
        var messageId = mirror.Info.MessageId;
        if (!mirror.Created)
        {
            if (!LeaseIsFresh())
            {
                await RenewLeaseAsync().ConfigureAwait(false);
            }

            var batch = database.CreateBatch();
            var created = batch.ScriptEvaluateAsync(CreateScript, [MetaKey(messageId), EventsKey(messageId)], [AnswerEventCodec.EncodeInfo(mirror.Info), InstanceId, RetentionMs]);
            var running = batch.HashSetAsync(RunningKey, messageId, InstanceId);
            var session = batch.StringSetAsync(SessionKey(mirror.Info.SessionId), messageId, TimeSpan.FromDays(1));
            batch.Execute();
            await Task.WhenAll(created, running, session).ConfigureAwait(false);
            mirror.Created = true;
        }

        var args = new RedisValue[2 * events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            (args[2 * i], args[(2 * i) + 1]) = AnswerEventCodec.Encode(events[i]);
        }

        var status = events[^1].IsTerminal && _local.StatusOf(messageId) is { } ended ? StatusName(ended) : "";
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _batchedEvents, events.Count);
        return await AppendScriptAsync(messageId, from, status, args).ConfigureAwait(false);
    }

    private async Task<long> AppendScriptAsync(string messageId, long from, string status, RedisValue[] events)
    {
        RedisValue[] args = [from, status, RetentionMs, AnswerChannel(messageId).ToString(), .. events];
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
        public long Appended;
        public long Written;
        public int Writing;
        public int Failures;
        public bool Created;
    }
}
