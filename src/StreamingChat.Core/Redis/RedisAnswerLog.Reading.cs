using System.Collections.Concurrent;
using StackExchange.Redis;

namespace StreamingChat.Core;

/// <summary>Reading answers produced on other instances from Redis.</summary>
internal sealed partial class RedisAnswerLog
{
    private readonly ConcurrentDictionary<string, Subscription> _subscriptions = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public async ValueTask<AnswerRead> ReadAsync(string messageId, long fromId, List<AnswerEvent> events, CancellationToken cancellationToken = default)
    {
        // Produced here (or kept here while Redis was away): read from memory, woken on the producer's turn.
        var local = await _local.ReadAsync(messageId, fromId, events, cancellationToken).ConfigureAwait(false);
        if (local != AnswerRead.Missing || !_redis.IsConnected)
        {
            return local;
        }

        try
        {
            return await ReadSharedAsync(messageId, fromId, events, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Redis went away under the reader: as for an answer not known here. The client resumes again later.
            return events.Count > 0 ? AnswerRead.Events : AnswerRead.Missing;
        }
    }

    private async Task<AnswerRead> ReadSharedAsync(string messageId, long fromId, List<AnswerEvent> events, CancellationToken cancellationToken)
    {
        // Over 60 lines: subscribe, read, then wait for the channel or the timer: that order is what keeps an append from being missed, so it stays in one method.
        var database = _redis.Database;
        var reread = TimeSpan.FromSeconds(_options.CurrentValue.RereadSeconds);

        // Subscribed before the first read, so an append between the read and the wait is never missed.
        var subscription = await SubscribeAsync(messageId).ConfigureAwait(false);
        try
        {
            long lastCheck = 0;
            while (true)
            {
                var woken = subscription.Next;
                var entries = await database.StreamRangeAsync(EventsKey(messageId), fromId, "+").ConfigureAwait(false);
                if (entries.Length > 0)
                {
                    foreach (var entry in entries)
                    {
                        events.Add(AnswerEventCodec.Decode(entry.Values[0]));
                    }

                    return AnswerRead.Events;
                }

                var values = await database.HashGetAsync(MetaKey(messageId), MetaFields).ConfigureAwait(false);
                if (values[1].IsNull)
                {
                    return AnswerRead.Missing;
                }

                if ((long)values[1] > fromId)
                {
                    continue; // appended since the read
                }

                if (!values[2].IsNull)
                {
                    // Ended by another instance while this reader holds events past that end (read on the producing
                    // instance before Redis had them): the end again, numbered after what the reader has, once.
                    return !values[4].IsNull && fromId > 0 && await ReadLostEndAsync(messageId, fromId, events).ConfigureAwait(false)
                        ? AnswerRead.Events
                        : AnswerRead.Ended;
                }

                // Running, nothing new: every reread, make sure its producer lives, and show this reader to it.
                if (lastCheck == 0 || _time.GetElapsedTime(lastCheck) >= reread)
                {
                    lastCheck = _time.GetTimestamp();
                    var batch = database.CreateBatch();
                    var alive = batch.KeyExistsAsync(LeaseKey(values[3].ToString()));
                    var shown = batch.StringSetAsync(ReadKey(messageId), InstanceId, reread * 3);
                    batch.Execute();
                    await Task.WhenAll(alive, shown).ConfigureAwait(false);
                    if (!await alive.ConfigureAwait(false) && _producerLost is { } lost)
                    {
                        var snapshot = new AnswerState(AnswerEventCodec.DecodeInfo(values[0]), (long)values[1], null);
                        await lost(snapshot).ConfigureAwait(false);
                    }
                }

                try
                {
                    await woken.WaitAsync(reread, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // No message within the reread time (one may have been lost): read again anyway.
                }
            }
        }
        finally
        {
            subscription.Release(_time.GetTimestamp());
        }
    }

    /// <summary>
    /// For a reader at <paramref name="fromId"/>, past the terminal event of an answer whose producing instance died: adds
    /// that terminal event, to be numbered <paramref name="fromId"/>, unless the reader's last id is one this was done at
    /// already (it has its terminal event then). The ids it was done at are kept with the answer.
    /// </summary>
    /// <remarks>
    /// The producing instance's readers read from its memory while Redis is written behind, so when it dies they may hold
    /// events (ids) that Redis never had, at or past the id the terminal event was logged at. The ids cannot tell such a
    /// reader from one that read the terminal event itself when its last id is that event's: it gets the end once more.
    /// </remarks>
    private async Task<bool> ReadLostEndAsync(string messageId, long fromId, List<AnswerEvent> events)
    {
        var database = _redis.Database;
        if (await database.SetContainsAsync(LostReadKey(messageId), fromId - 1).ConfigureAwait(false))
        {
            return false;
        }

        var last = await database.StreamRangeAsync(EventsKey(messageId), "-", "+", count: 1, messageOrder: Order.Descending).ConfigureAwait(false);
        if (last.Length == 0)
        {
            return false;
        }

        var batch = database.CreateBatch();
        var added = batch.SetAddAsync(LostReadKey(messageId), fromId);
        var expiry = batch.KeyExpireAsync(LostReadKey(messageId), TimeSpan.FromMilliseconds(RetentionMs));
        batch.Execute();
        await Task.WhenAll(added, expiry).ConfigureAwait(false);
        events.Add(AnswerEventCodec.Decode(last[0].Values[0]));
        return true;
    }

    /// <summary>This instance's subscription to the answer's channel, made (and confirmed by Redis) if it has none.</summary>
    private async Task<Subscription> SubscribeAsync(string messageId)
    {
        while (true)
        {
            var subscription = _subscriptions.GetOrAdd(messageId, static (id, log) => new Subscription(log.AnswerChannel(id)), this);
            if (!subscription.TryAcquire())
            {
                continue; // being dropped: make another
            }

            try
            {
                await subscription.Subscribed(_redis.Multiplexer.GetSubscriber()).ConfigureAwait(false);
                return subscription;
            }
            catch
            {
                subscription.Release(0);
                _subscriptions.TryRemove(new KeyValuePair<string, Subscription>(messageId, subscription));
                throw;
            }
        }
    }

    /// <summary>Drops the subscriptions no reader has used for a while; the lease loop calls it.</summary>
    internal async Task DropIdleSubscriptionsAsync(TimeSpan idle)
    {
        foreach (var (messageId, subscription) in _subscriptions)
        {
            if (subscription.TryRetire(_time, idle))
            {
                _subscriptions.TryRemove(new KeyValuePair<string, Subscription>(messageId, subscription));
                await TryRedisAsync(async () =>
                {
                    await _redis.Multiplexer.GetSubscriber().UnsubscribeAsync(subscription.Channel, subscription.Handler).ConfigureAwait(false);
                    return true;
                }).ConfigureAwait(false);
            }
        }
    }

    private void DisposeSubscriptions()
    {
        if (_subscriptions.IsEmpty)
        {
            return;
        }

        var subscriber = _redis.Multiplexer.GetSubscriber();
        foreach (var subscription in _subscriptions.Values)
        {
            subscriber.Unsubscribe(subscription.Channel, subscription.Handler, CommandFlags.FireAndForget);
        }

        _subscriptions.Clear();
    }

    /// <summary>
    /// One answer's channel, subscribed once for every reader of it on this instance. Each message completes the current
    /// <see cref="Next"/> and puts a new one in its place; a reader takes <see cref="Next"/> before it reads.
    /// </summary>
    private sealed class Subscription
    {
        private readonly Lock _lock = new();
        private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Task? _subscribed;
        private int _readers;
        private long _idleSince;
        private bool _retired;

        public Subscription(RedisChannel channel)
        {
            Channel = channel;
            Handler = (_, _) => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }

        public RedisChannel Channel { get; }

        public Action<RedisChannel, RedisValue> Handler { get; }

        public Task Next => Volatile.Read(ref _next).Task;

        public bool TryAcquire()
        {
            lock (_lock)
            {
                if (_retired)
                {
                    return false;
                }

                _readers++;
                return true;
            }
        }

        public Task Subscribed(ISubscriber subscriber)
        {
            lock (_lock)
            {
                // A failed subscription is tried again by the next reader.
                if (_subscribed is null || _subscribed.IsFaulted || _subscribed.IsCanceled)
                {
                    _subscribed = subscriber.SubscribeAsync(Channel, Handler);
                }

                return _subscribed;
            }
        }

        public void Release(long now)
        {
            lock (_lock)
            {
                if (--_readers == 0)
                {
                    _idleSince = now;
                }
            }
        }

        public bool TryRetire(TimeProvider time, TimeSpan idle)
        {
            lock (_lock)
            {
                if (_readers > 0 || time.GetElapsedTime(_idleSince) < idle)
                {
                    return false;
                }

                _retired = true;
                return true;
            }
        }
    }
}
