using StreamingChat.Core;
using Xunit;

namespace StreamingChat.Testing;

/// <summary>
/// What every answer log must do (<see cref="IAnswerLog"/>'s contract), as tests a store runs by deriving from this class
/// and saying how to make one: the memory and Redis logs pass it, and so must a store of an application's own.
/// </summary>
public abstract class AnswerLogConformanceTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];

    /// <summary>Makes an empty log with <paramref name="options"/>, on the real clock.</summary>
    protected abstract Task<IAnswerLog> CreateLogAsync(AnswerOptions options);

    /// <inheritdoc/>
    public virtual Task InitializeAsync() => Task.CompletedTask;

    /// <inheritdoc/>
    public virtual Task DisposeAsync() => Task.CompletedTask;

    private AnswerInfo Info(string id, string session = "s1") => new($"{_run}-{id}", $"{_run}-{session}", "demo", "key:o", "Hi", Streaming: true, DateTimeOffset.UnixEpoch);

    private static readonly AnswerEvent Done = AnswerEvent.ForDone(new AnswerDone("stop", null, 1, 2));

    private Task<IAnswerLog> CreateAsync(double retentionSeconds = 300) => CreateLogAsync(new AnswerOptions { RetentionSeconds = retentionSeconds });

    [Fact]
    public async Task Appends_AreNumberedFromZero_ReadFromAnyPosition_AndTheEndIsRecorded()
    {
        var log = await CreateAsync();
        var info = Info("m1");
        await log.CreateAsync(info);
        Assert.Equal((0L, null), ((await log.GetAsync(info.MessageId))!.EventCount, (await log.GetAsync(info.MessageId))!.Status));
        Assert.Equal(0, await log.AppendAsync(info.MessageId, AnswerEventSamples.Of(AnswerEventKind.Start)));
        Assert.Equal(1, await log.AppendAsync(info.MessageId, AnswerEvent.ForToken("a")));
        Assert.Equal(2, await log.AppendAsync(info.MessageId, AnswerEventSamples.Of(AnswerEventKind.Audio)));
        Assert.Equal(3, await log.EndAsync(info.MessageId, Done, MessageStatus.Complete));

        var events = new List<AnswerEvent>();
        Assert.Equal(AnswerRead.Events, await log.ReadAsync(info.MessageId, 1, events));
        Assert.Equal(["token a", "audio 0", "done"], events.Select(e => e.ToString()));
        Assert.Equal(AnswerRead.Ended, await log.ReadAsync(info.MessageId, 4, []));
        var state = await log.GetAsync(info.MessageId);
        Assert.Equal((info, 4L, MessageStatus.Complete, 3L), (state!.Info, state.EventCount, state.Status, state.LastEventId));
    }

    [Fact]
    public async Task Readers_WaitForTheNextAppend_AndAreAllWokenByIt_AndByTheEnd()
    {
        var log = await CreateAsync();
        var info = Info("m1");
        await log.CreateAsync(info);
        await log.AppendAsync(info.MessageId, AnswerEventSamples.Of(AnswerEventKind.Start));
        var waiting = Enumerable.Range(0, 3).Select(_ => new List<AnswerEvent>()).Select(events => (events, log.ReadAsync(info.MessageId, 1, events).AsTask())).ToList();
        await Task.Delay(100);
        Assert.All(waiting, w => Assert.False(w.Item2.IsCompleted));

        await log.AppendAsync(info.MessageId, AnswerEvent.ForToken("b"));
        foreach (var (events, read) in waiting)
        {
            Assert.Equal(AnswerRead.Events, await read.WaitAsync(Patience));
            Assert.Equal("token b", Assert.Single(events).ToString());
        }

        var end = new List<AnswerEvent>();
        var waitingForEnd = log.ReadAsync(info.MessageId, 2, end).AsTask();
        await log.EndAsync(info.MessageId, Done, MessageStatus.Stopped);
        Assert.Equal(AnswerRead.Events, await waitingForEnd.WaitAsync(Patience));
        Assert.True(Assert.Single(end).IsTerminal);
    }

    [Fact]
    public async Task AReaderCancelled_StopsWaiting()
    {
        var log = await CreateAsync();
        var info = Info("m1");
        await log.CreateAsync(info);
        await log.AppendAsync(info.MessageId, AnswerEventSamples.Of(AnswerEventKind.Start));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => log.ReadAsync(info.MessageId, 1, [], cancel.Token).AsTask().WaitAsync(Patience));
    }

    [Fact]
    public async Task NothingFollowsTheEnd_AndUnknownAnswersAreMissing()
    {
        var log = await CreateAsync();
        var info = Info("m1");
        await log.CreateAsync(info);
        await log.AppendAsync(info.MessageId, AnswerEventSamples.Of(AnswerEventKind.Start));
        await log.EndAsync(info.MessageId, Done, MessageStatus.Complete);

        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => log.AppendAsync(info.MessageId, AnswerEvent.ForToken("late")).AsTask());
        await Assert.ThrowsAnyAsync<ArgumentException>(() => log.AppendAsync(info.MessageId, Done).AsTask());
        Assert.Equal(2, (await log.GetAsync(info.MessageId))!.EventCount);
        Assert.Null(await log.GetAsync($"{_run}-nobody"));
        Assert.Equal(AnswerRead.Missing, await log.ReadAsync($"{_run}-nobody", 0, []));
    }

    [Fact]
    public async Task TheLatestOfASession_IsItsNewestAnswer()
    {
        var log = await CreateAsync();
        await log.CreateAsync(Info("m1"));
        await log.AppendAsync(Info("m1").MessageId, AnswerEventSamples.Of(AnswerEventKind.Start));
        await log.EndAsync(Info("m1").MessageId, Done, MessageStatus.Complete);
        await log.CreateAsync(Info("m2") with { CreatedAt = DateTimeOffset.UnixEpoch.AddSeconds(1) });
        await log.AppendAsync(Info("m2").MessageId, AnswerEventSamples.Of(AnswerEventKind.Start));

        var latest = await log.GetLatestAsync(Info("m1").SessionId);
        Assert.Equal((Info("m2").MessageId, true), (latest!.Info.MessageId, latest.IsRunning));
        Assert.Null(await log.GetLatestAsync($"{_run}-no-session"));
    }

    [Fact]
    public async Task AnEndedAnswer_IsForgottenAfterItsRetention_ARunningOneIsNot()
    {
        var log = await CreateAsync(retentionSeconds: 1);
        await log.CreateAsync(Info("ended"));
        await log.AppendAsync(Info("ended").MessageId, AnswerEventSamples.Of(AnswerEventKind.Start));
        await log.EndAsync(Info("ended").MessageId, Done, MessageStatus.Complete);
        await log.CreateAsync(Info("running", session: "s2"));
        await log.AppendAsync(Info("running", "s2").MessageId, AnswerEventSamples.Of(AnswerEventKind.Start));
        Assert.NotNull(await log.GetAsync(Info("ended").MessageId));

        var deadline = DateTime.UtcNow + Patience;
        while (await log.GetAsync(Info("ended").MessageId) is not null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the ended answer outlived its retention");
            await Task.Delay(100);
        }

        Assert.Equal(AnswerRead.Missing, await log.ReadAsync(Info("ended").MessageId, 0, []));
        Assert.True((await log.GetAsync(Info("running", "s2").MessageId))!.IsRunning);
    }

    [Fact]
    public async Task ErasingASession_ForgetsItsAnswers_WakesTheirReaders_AndKeepsTheOthers()
    {
        var log = await CreateAsync();
        foreach (var (id, session) in new[] { ("ended", "s1"), ("running", "s1"), ("other", "s2") })
        {
            await log.CreateAsync(Info(id, session));
            await log.AppendAsync(Info(id, session).MessageId, AnswerEventSamples.Of(AnswerEventKind.Start));
        }

        await log.EndAsync(Info("ended").MessageId, Done, MessageStatus.Complete);
        var waiting = log.ReadAsync(Info("running").MessageId, 1, []).AsTask();

        await log.EraseSessionAsync(Info("ended").SessionId);

        Assert.Equal(AnswerRead.Missing, await waiting.WaitAsync(Patience));
        Assert.Null(await log.GetAsync(Info("ended").MessageId));
        Assert.Null(await log.GetAsync(Info("running").MessageId));
        Assert.Null(await log.GetLatestAsync(Info("ended").SessionId));
        Assert.NotNull(await log.GetAsync(Info("other", "s2").MessageId));
    }

    [Fact]
    public async Task EveryKindOfEvent_IsKeptAsItWasAppended()
    {
        var log = await CreateAsync();
        var info = Info("m1");
        await log.CreateAsync(info);
        var appended = AnswerEventSamples.Kinds.Where(k => !AnswerEventSamples.Of(k).IsTerminal).Select(AnswerEventSamples.Of).ToList();
        foreach (var e in appended)
        {
            await log.AppendAsync(info.MessageId, e);
        }

        var events = new List<AnswerEvent>();
        Assert.Equal(AnswerRead.Events, await log.ReadAsync(info.MessageId, 0, events));
        Assert.Equal(appended.Select(e => e.ToString()), events.Select(e => e.ToString()));
        Assert.Equal(events.Select(e => e.Text), appended.Select(e => e.Text));
    }
}
