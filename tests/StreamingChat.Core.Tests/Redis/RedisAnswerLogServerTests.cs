using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.Core.Tests.Redis;

/// <summary>The Redis answer log against a real Redis, as two instances (two logs, two connections) share it.</summary>
public sealed class RedisAnswerLogServerTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly List<IDisposable> _owned = [];
    private RedisTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RedisTestServer.StartAsync();

    public async Task DisposeAsync()
    {
        _owned.ForEach(o => o.Dispose());
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task AnswerProducedOnA_IsReadOnB_FromAnyPosition_LiveToTheTerminalEvent()
    {
        var (a, b, info) = await StartedOnAAsync();
        await a.AppendAsync(info.MessageId, AnswerEvent.ForToken("Hello"));
        await WaitUntilAsync(async () => (await b.GetAsync(info.MessageId))?.EventCount == 2);

        // B waits for the next event, which only A's publish (or the reread) can bring; both ways it arrives.
        var events = new List<AnswerEvent>();
        var waiting = b.ReadAsync(info.MessageId, 2, events).AsTask();
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted);
        await a.AppendAsync(info.MessageId, AnswerEvent.ForToken(" world"));
        Assert.Equal(AnswerRead.Events, await waiting.WaitAsync(Patience));
        Assert.Equal(" world", Assert.Single(events).Text);

        var reading = ReadAllAsync(b, info.MessageId, 1);
        await a.EndAsync(info.MessageId, AnswerEvent.ForDone(new AnswerDone("stop", null, 5, 9)), MessageStatus.Complete);
        var all = await reading.WaitAsync(Patience);

        Assert.Equal(["token:Hello", "token: world", "done"], all.Select(Describe));
        var snapshot = await b.GetAsync(info.MessageId);
        Assert.Equal((4L, MessageStatus.Complete), (snapshot!.EventCount, snapshot.Status));
        Assert.Equal(AnswerRead.Ended, await b.ReadAsync(info.MessageId, 4, []));
        Assert.Equal("Hello world", await b.ReadTextAsync(info.MessageId));
        Assert.Equal(info.MessageId, (await b.GetLatestAsync(info.SessionId))!.Info.MessageId);
        var start = (await ReadAllAsync(b, info.MessageId, 0))[0];
        Assert.Null(start.Start!.SessionKey); // the session key never goes to the shared log
    }

    [Fact]
    public async Task EndedAnswer_CannotBeAppendedToOrEndedAgain_ByAnyInstance()
    {
        var (a, b, info) = await StartedOnAAsync();
        await a.EndAsync(info.MessageId, AnswerEvent.ForDone(new AnswerDone("stop", null, null, 1)), MessageStatus.Complete);

        Assert.Null(await b.EndElsewhereAsync(info.MessageId, AnswerEvent.ForError(new AnswerError("answer_lost", "x", true)), MessageStatus.Interrupted));
        Assert.Equal(["start", "done"], (await ReadAllAsync(b, info.MessageId, 0)).Select(Describe));
    }

    [Fact]
    public async Task RunningAnswer_EndedElsewhereOnce_AndItsProducerIsTold()
    {
        var prefix = NewPrefix();
        var (a, _) = Log(prefix, "a");
        var (b, _) = Log(prefix, "b");
        var ended = new TaskCompletionSource<string>();
        a.Connect(_ => default, _ => default, id => ended.TrySetResult(id), _ => { });
        var info = Info();
        await a.CreateAsync(info);
        await a.AppendAsync(info.MessageId, Start(info));
        await WaitUntilAsync(async () => (await b.GetAsync(info.MessageId))?.EventCount == 1);

        Assert.True(await b.TryClaimAsync(info.MessageId));
        Assert.False(await a.TryClaimAsync(info.MessageId)); // one instance ends it
        var lost = AnswerEvent.ForError(new AnswerError("answer_lost", "gone", true));
        Assert.Equal(1L, await b.EndElsewhereAsync(info.MessageId, lost, MessageStatus.Interrupted));
        Assert.Null(await b.EndElsewhereAsync(info.MessageId, lost, MessageStatus.Interrupted));

        // A still produces (it was taken for dead): its next write is refused, and it is told to stop.
        await a.AppendAsync(info.MessageId, AnswerEvent.ForToken("late"));
        Assert.Equal(info.MessageId, await ended.Task.WaitAsync(Patience));
        Assert.Equal(["start", "error"], (await ReadAllAsync(b, info.MessageId, 0)).Select(Describe));
    }

    [Fact]
    public async Task ReaderOnB_NoticesThatTheProducersLeaseLapsed()
    {
        var prefix = NewPrefix();
        var (a, _) = Log(prefix, "a", leaseSeconds: 1);
        var (b, _) = Log(prefix, "b", leaseSeconds: 1);
        var lost = new TaskCompletionSource<AnswerState>();
        b.Connect(_ => default, snapshot => { lost.TrySetResult(snapshot); return default; }, _ => { }, _ => { });
        Assert.True(await a.RenewLeaseAsync());
        var info = Info();
        await a.CreateAsync(info);
        await a.AppendAsync(info.MessageId, Start(info));
        await WaitUntilAsync(async () => (await b.GetAsync(info.MessageId))?.EventCount == 1);
        Assert.True(await b.IsProducerAliveAsync(info.MessageId));

        // A renews no more (as if killed); B's reader notices within the lease and a reread.
        using var reading = new CancellationTokenSource(Patience);
        var read = b.ReadAsync(info.MessageId, 1, [], reading.Token).AsTask();
        var snapshot = await lost.Task.WaitAsync(Patience);

        Assert.Equal((info.MessageId, 1L), (snapshot.Info.MessageId, snapshot.EventCount));
        Assert.False(await b.IsProducerAliveAsync(info.MessageId));
        await reading.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);
    }

    [Fact]
    public async Task RedisAway_NewAnswersAreKeptHere_AndStillRead()
    {
        var prefix = NewPrefix();
        var (a, redis) = Log(prefix, "a");
        await _server.StopAsync();
        await WaitUntilAsync(() => Task.FromResult(!redis.IsConnected));

        var info = Info();
        await a.CreateAsync(info);
        await a.AppendAsync(info.MessageId, Start(info));
        await a.AppendAsync(info.MessageId, AnswerEvent.ForToken("kept"));
        await a.EndAsync(info.MessageId, AnswerEvent.ForDone(new AnswerDone("stop", null, null, 1)), MessageStatus.Complete);

        Assert.Equal(["start", "token:kept", "done"], (await ReadAllAsync(a, info.MessageId, 0)).Select(Describe));
        Assert.Equal(MessageStatus.Complete, (await a.GetLatestAsync(info.SessionId))!.Status);
        await _server.StartAgainAsync();
    }

    /// <summary>Two instances' logs on one Redis, and an answer started on the first (its start event appended).</summary>
    private async Task<(RedisAnswerLog A, RedisAnswerLog B, AnswerInfo Info)> StartedOnAAsync()
    {
        var prefix = NewPrefix();
        var (a, _) = Log(prefix, "a");
        var (b, _) = Log(prefix, "b");
        var info = Info();
        await a.CreateAsync(info);
        await a.AppendAsync(info.MessageId, Start(info));
        return (a, b, info);
    }

    private (RedisAnswerLog Log, StreamingChatRedis Redis) Log(string prefix, string instanceId, double leaseSeconds = 10)
    {
        var redis = new StreamingChatRedis(Options.Create(new RedisOptions { ConnectionString = _server.ConnectionString, KeyPrefix = prefix, TimeoutMilliseconds = 1000 }), NullLogger<StreamingChatRedis>.Instance);
        var instance = new StreamingChatInstance(Options.Create(new MetricsOptions { InstanceId = instanceId }), TimeProvider.System);
        var options = new FixedOptionsMonitor<AnswerOptions>(new AnswerOptions { LeaseSeconds = leaseSeconds, RereadSeconds = 0.2 });
        // Connected before the first answer: an answer created while the connection is still being made stays in memory.
        var deadline = DateTime.UtcNow + Patience;
        while (!redis.IsConnected)
        {
            Assert.True(DateTime.UtcNow < deadline, "Redis did not connect");
            Thread.Sleep(20);
        }

        var log = new RedisAnswerLog(redis, options, instance, NullLogger<RedisAnswerLog>.Instance);
        _owned.Add(log);
        _owned.Add(redis);
        return (log, redis);
    }

    private static string NewPrefix() => $"t{Guid.NewGuid():N}:";

    private static AnswerInfo Info() => new(Guid.NewGuid().ToString("N"), "s-" + Guid.NewGuid().ToString("N")[..8], "demo", "owner-1", "Why?", true, DateTimeOffset.UtcNow);

    private static AnswerEvent Start(AnswerInfo info) => AnswerEvent.ForStart(new AnswerStart(info.MessageId, info.SessionId, info.ChatbotId, "m", true, "secret-session-key"));

    private static string Describe(AnswerEvent e) => e.Kind switch
    {
        AnswerEventKind.Token => "token:" + e.Text,
        _ => e.Kind.ToString().ToLowerInvariant(),
    };

    private static async Task<List<AnswerEvent>> ReadAllAsync(IAnswerLog log, string messageId, long fromId)
    {
        var all = new List<AnswerEvent>();
        using var bounded = new CancellationTokenSource(Patience);
        await foreach (var e in log.ReadEventsAsync(messageId, fromId, bounded.Token))
        {
            all.Add(e);
        }

        return all;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition was not met in time");
            await Task.Delay(20);
        }
    }
}
