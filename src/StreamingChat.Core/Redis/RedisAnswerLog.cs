using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace StreamingChat.Core;

/// <summary>
/// Answers' event logs shared by every instance through Redis (<c>AddRedis()</c>): resumable, readable and stoppable from
/// any instance, and ended by any instance once the one producing them is gone.
/// </summary>
/// <remarks>
/// <para>
/// Each answer is a Redis Stream (<c>answer:{id}</c>) whose entry ids are the event numbers (<c>n-1</c>), beside a
/// record (<c>answer:{id}:meta</c>: what it is, how many events, how it ended, which instance produces it). Both share the
/// hash tag <c>{id}</c>, so one script appends to both, on one Redis or a Redis Cluster. The script appends only over the
/// count it finds and only while the answer runs, so a second writer cannot add an event with an id already taken, or any
/// event after the terminal one. The keys expire <see cref="AnswerOptions.RetentionSeconds"/> after the last write.
/// </para>
/// <para>
/// The producing instance keeps its answers in memory too (an <see cref="InMemoryAnswerLog"/>): its own readers read
/// from there, woken on the producer's turn, and Redis is written behind, one script per batch (the events appended while
/// the previous write was on its way), each publishing the new count to wake readers elsewhere. Readers elsewhere
/// subscribe before they read, and read again every <see cref="AnswerOptions.RereadSeconds"/> whether or not a message
/// came. StackExchange.Redis has no blocking stream read, and a multiplexed connection must not block.
/// </para>
/// <para>
/// Each instance holds a lease (<c>{leases}:instance</c>, <see cref="AnswerOptions.LeaseSeconds"/>) while it runs; a
/// running answer whose producer's lease lapsed is ended once by whichever instance notices first (a reader, or the
/// periodic sweep of <c>{answers}:running</c>). Redis away: new answers are kept in memory only (resumable on this
/// instance), and the ones running go on here, written to Redis when it is back.
/// </para>
/// </remarks>
internal sealed partial class RedisAnswerLog : ISharedAnswerLog, IDisposable
{
    private static readonly RedisValue[] MetaFields = ["info", "count", "status", "producer", "lost"];
    private readonly StreamingChatRedis _redis;
    private readonly IOptionsMonitor<AnswerOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisAnswerLog> _logger;
    private readonly InMemoryAnswerLog _local;
    private readonly ConcurrentDictionary<string, Mirror> _mirrors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> _ending = new(StringComparer.Ordinal);
    private Func<string, ValueTask>? _stopRequested;
    private Func<AnswerState, ValueTask>? _producerLost;
    private Action<string>? _endedElsewhere;
    private Action<string>? _sessionErased;
    private long _leaseRenewedAt;

    /// <summary>Creates the log over the process's Redis connection.</summary>
    public RedisAnswerLog(StreamingChatRedis redis, IOptionsMonitor<AnswerOptions> options, StreamingChatInstance instance, ILogger<RedisAnswerLog> logger, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(logger);
        _redis = redis;
        _options = options;
        _logger = logger;
        _time = timeProvider ?? TimeProvider.System;
        _local = new InMemoryAnswerLog(options, _time);
        InstanceId = instance.InstanceId;
        StopChannel = redis.Channel("answers:stop");
        EraseChannel = redis.Channel("sessions:erase");
        var meter = meterFactory?.Create(StreamingChatTelemetry.Name);
        meter?.CreateObservableCounter(StreamingChatTelemetry.Instruments.AnswerLogWrites, () => WriteCounts.Writes, "{write}", "Writes of answers' events to the shared answer log.");
        meter?.CreateObservableCounter(StreamingChatTelemetry.Instruments.AnswerLogEvents, () => WriteCounts.Events, "{event}", "Events carried by the writes to the shared answer log.");
        var interval = TimeSpan.FromMilliseconds(options.CurrentValue.WriteIntervalMilliseconds);
        _writeTimer = _time.CreateTimer(static s => ((RedisAnswerLog)s!).WriteBehind(), this, interval, interval);
    }

    private readonly ITimer _writeTimer;

    /// <summary>The id this instance's lease and answers are known by.</summary>
    public string InstanceId { get; }

    /// <summary>The channel stops are asked on (the message is the answer's id).</summary>
    internal RedisChannel StopChannel { get; }

    /// <summary>The channel erased sessions are announced on (the message is the session's id).</summary>
    internal RedisChannel EraseChannel { get; }

    /// <summary>Answers produced here whose events are not all in Redis yet.</summary>
    internal int Unwritten => _mirrors.Count;

    /// <inheritdoc/>
    public void Connect(Func<string, ValueTask> stopRequested, Func<AnswerState, ValueTask> producerLost, Action<string> endedElsewhere, Action<string> sessionErased)
    {
        _stopRequested = stopRequested ?? throw new ArgumentNullException(nameof(stopRequested));
        _producerLost = producerLost ?? throw new ArgumentNullException(nameof(producerLost));
        _endedElsewhere = endedElsewhere ?? throw new ArgumentNullException(nameof(endedElsewhere));
        _sessionErased = sessionErased ?? throw new ArgumentNullException(nameof(sessionErased));
    }

    /// <inheritdoc/>
    public async ValueTask CreateAsync(AnswerInfo answer, CancellationToken cancellationToken = default)
    {
        await _local.CreateAsync(answer, cancellationToken).ConfigureAwait(false);

        // Redis away: this answer is kept here only. Else it is opened in Redis now, and its events written behind.
        if (!_redis.IsConnected)
        {
            return;
        }

        try
        {
            await OpenAsync(answer).ConfigureAwait(false);
            _mirrors[answer.MessageId] = new Mirror(answer);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Log.AnswerLogBehind(_logger, ex);
        }
    }

    /// <inheritdoc/>
    public async ValueTask<long> AppendAsync(string messageId, AnswerEvent streamEvent, CancellationToken cancellationToken = default)
    {
        var id = await _local.AppendAsync(messageId, streamEvent, cancellationToken).ConfigureAwait(false);
        Written(messageId, id, now: false);
        return id;
    }

    /// <inheritdoc/>
    public async ValueTask<long> EndAsync(string messageId, AnswerEvent terminal, MessageStatus status, CancellationToken cancellationToken = default)
    {
        if (!_mirrors.TryGetValue(messageId, out var mirror))
        {
            return await _local.EndAsync(messageId, terminal, status, cancellationToken).ConfigureAwait(false);
        }

        // Redis has the end before this instance's readers do (bounded: a Redis away never holds the end long). Until
        // this instance has it too, a look at the answer here waits for it, so no instance reports it running after
        // another has reported it ended.
        var ending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ending[messageId] = ending.Task;
        try
        {
            await WriteEndAsync(mirror, terminal, status).ConfigureAwait(false);
            var id = await _local.EndAsync(messageId, terminal, status, cancellationToken).ConfigureAwait(false);
            Written(messageId, id, now: false); // written already, or (Redis away) by the write timer from this log
            return id;
        }
        finally
        {
            _ending.TryRemove(messageId, out _);
            ending.TrySetResult();
        }
    }

    /// <inheritdoc/>
    public async ValueTask<AnswerState?> GetAsync(string messageId, CancellationToken cancellationToken = default)
    {
        if (await _local.GetAsync(messageId, cancellationToken).ConfigureAwait(false) is { } local)
        {
            return local.IsRunning && await EndedMeanwhileAsync(messageId).ConfigureAwait(false)
                ? await _local.GetAsync(messageId, cancellationToken).ConfigureAwait(false)
                : local;
        }

        return await TryRedisAsync(() => ReadSnapshotAsync(messageId)).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<AnswerState?> GetLatestAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        var local = await _local.GetLatestAsync(sessionId, cancellationToken).ConfigureAwait(false);
        if (local is { IsRunning: true } && await EndedMeanwhileAsync(local.Info.MessageId).ConfigureAwait(false))
        {
            local = await _local.GetAsync(local.Info.MessageId, cancellationToken).ConfigureAwait(false);
        }

        if (local is { IsRunning: true } || !_redis.IsConnected)
        {
            return local;
        }

        var shared = await TryRedisAsync(async () =>
        {
            var messageId = await _redis.Database.StringGetAsync(SessionKey(sessionId)).ConfigureAwait(false);
            return messageId.IsNull ? null : await ReadSnapshotAsync(messageId.ToString()).ConfigureAwait(false);
        }).ConfigureAwait(false);
        return shared is null || (local is not null && local.Info.CreatedAt > shared.Info.CreatedAt) ? local : shared;
    }

    /// <summary>Whether the answer, running here, is being ended (waits until it has ended here too).</summary>
    private async ValueTask<bool> EndedMeanwhileAsync(string messageId)
    {
        if (!_ending.TryGetValue(messageId, out var ending))
        {
            return false;
        }

        await ending.WaitAsync(TimeSpan.FromMilliseconds(_redis.Options.TimeoutMilliseconds + 2000)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return true;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _writeTimer.Dispose();
        DisposeSubscriptions();
    }

    private async Task<AnswerState?> ReadSnapshotAsync(string messageId)
    {
        var values = await _redis.Database.HashGetAsync(MetaKey(messageId), MetaFields).ConfigureAwait(false);
        if (values[0].IsNull || values[1].IsNull)
        {
            return null;
        }

        return new AnswerState(AnswerEventCodec.DecodeInfo(values[0]), (long)values[1], ParseStatus(values[2])) { EndedElsewhere = !values[4].IsNull };
    }

    /// <summary>A Redis call whose failure means "not in Redis": the caller goes on with what this instance holds.</summary>
    private async Task<T?> TryRedisAsync<T>(Func<Task<T>> call)
    {
        if (!_redis.IsConnected)
        {
            return default;
        }

        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return default;
        }
    }

    internal static string StatusName(MessageStatus status) => status switch
    {
        MessageStatus.Complete => "complete",
        MessageStatus.Interrupted => "interrupted",
        MessageStatus.Failed => "failed",
        _ => "stopped",
    };

    private static MessageStatus? ParseStatus(RedisValue value) => value.IsNull ? null : value.ToString() switch
    {
        "complete" => MessageStatus.Complete,
        "interrupted" => MessageStatus.Interrupted,
        "failed" => MessageStatus.Failed,
        _ => MessageStatus.Stopped,
    };

    // One hash tag per answer ({id}), so the stream, its record and its marks are in one slot of a Redis Cluster.
    private RedisKey EventsKey(string messageId) => _redis.Key("answer:{" + messageId + "}");

    private RedisKey MetaKey(string messageId) => _redis.Key("answer:{" + messageId + "}:meta");

    private RedisKey ReadKey(string messageId) => _redis.Key("answer:{" + messageId + "}:read");

    private RedisKey ClaimKey(string messageId) => _redis.Key("answer:{" + messageId + "}:claim");

    private RedisKey LostReadKey(string messageId) => _redis.Key("answer:{" + messageId + "}:lost-read");

    private RedisKey SessionKey(string sessionId) => _redis.Key("session:{" + sessionId + "}:answer");

    private RedisKey SessionAnswersKey(string sessionId) => _redis.Key("session:{" + sessionId + "}:answers");

    private RedisKey LeaseKey(string instanceId) => _redis.LeaseKey(instanceId);

    private RedisKey RunningKey => _redis.Key("{answers}:running");

    private RedisChannel AnswerChannel(string messageId) => _redis.Channel("answer:" + messageId);

    private long RetentionMs => (long)(_options.CurrentValue.RetentionSeconds * 1000);
}
