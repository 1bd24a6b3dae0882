using Microsoft.Extensions.Time.Testing;

namespace StreamingChat.Core.Tests;

public sealed class InMemoryAnswerLogTests
{
    private readonly FakeTimeProvider _time = new();

    private InMemoryAnswerLog Create(int maxAnswers = 100, long maxBytes = 1 << 20, double retentionSeconds = 300)
        => new(new AnswerOptions { MaxAnswers = maxAnswers, MaxBytes = maxBytes, RetentionSeconds = retentionSeconds }, _time);

    private static AnswerInfo Info(string id, string session = "s1") => new(id, session, "demo", "key:o", "Hi", Streaming: true, DateTimeOffset.UnixEpoch);

    private static AnswerEvent Token(string text) => AnswerEvent.ForToken(text);

    private static readonly AnswerEvent Done = AnswerEvent.ForDone(new AnswerDone("stop", null, 1, 2));

    [Fact]
    public async Task Append_NumbersFromZero_AndReadsFromAnyPosition()
    {
        var log = Create();
        await log.CreateAsync(Info("m1"));
        Assert.Equal(0, await log.AppendAsync("m1", Token("a")));
        Assert.Equal(1, await log.AppendAsync("m1", Token("b")));
        Assert.Equal(2, await log.EndAsync("m1", Done, MessageStatus.Complete));

        var events = new List<AnswerEvent>();
        Assert.Equal(AnswerRead.Events, await log.ReadAsync("m1", 1, events));
        Assert.Equal(["token b", "done"], events.Select(e => e.ToString()));
        events.Clear();
        Assert.Equal(AnswerRead.Ended, await log.ReadAsync("m1", 3, events));
        Assert.Empty(events);
        Assert.Equal(AnswerRead.Missing, await log.ReadAsync("nobody", 0, events));
        Assert.Equal(new AnswerState(Info("m1"), 3, MessageStatus.Complete), await log.GetAsync("m1"));
    }

    [Fact]
    public async Task EraseSession_ForgetsItsAnswers_RunningOrEnded_WakesTheirReaders_AndLeavesTheOthers()
    {
        var log = Create();
        await log.CreateAsync(Info("ended"));
        await log.AppendAsync("ended", Token("a"));
        await log.EndAsync("ended", Done, MessageStatus.Complete);
        await log.CreateAsync(Info("running"));
        await log.AppendAsync("running", Token("b"));
        await log.CreateAsync(Info("other", session: "s2"));
        await log.AppendAsync("other", Token("c"));
        var waiting = log.ReadAsync("running", 1, []).AsTask();

        await log.EraseSessionAsync("s1");

        Assert.Equal(AnswerRead.Missing, await waiting.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Null(await log.GetAsync("ended"));
        Assert.Null(await log.GetAsync("running"));
        Assert.Null(await log.GetLatestAsync("s1"));
        Assert.Equal(AnswerRead.Missing, await log.ReadAsync("ended", 0, []));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await log.AppendAsync("running", Token("late")));
        Assert.Equal("other", (await log.GetLatestAsync("s2"))!.Info.MessageId);
        Assert.Equal(1, log.Count);

        // Its bytes are counted once: erasing and trimming the same answer does not count it twice.
        await log.EndAsync("other", Done, MessageStatus.Complete);
        _time.Advance(TimeSpan.FromSeconds(301));
        await log.CreateAsync(Info("next", session: "s3"));
        Assert.Equal(1, log.Count);
        Assert.True(log.Bytes < 1024, $"{log.Bytes} bytes kept");
    }

    [Fact]
    public async Task Read_WaitsForTheNextAppend_AndIsWokenByIt()
    {
        var log = Create();
        await log.CreateAsync(Info("m1"));
        await log.AppendAsync("m1", Token("a"));
        var events = new List<AnswerEvent>();
        var waiting = log.ReadAsync("m1", 1, events).AsTask();
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);

        await log.AppendAsync("m1", Token("b"));
        Assert.Equal(AnswerRead.Events, await waiting.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal("token b", Assert.Single(events).ToString());

        events.Clear();
        var waitingForEnd = log.ReadAsync("m1", 2, events).AsTask();
        await log.EndAsync("m1", Done, MessageStatus.Complete);
        Assert.Equal(AnswerRead.Events, await waitingForEnd.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.True(Assert.Single(events).IsTerminal);
    }

    [Fact]
    public async Task Read_Cancelled_StopsWaiting()
    {
        var log = Create();
        await log.CreateAsync(Info("m1"));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => log.ReadAsync("m1", 0, [], cancel.Token).AsTask());
    }

    [Fact]
    public async Task EndedAnswer_IsKeptForTheRetention_ThenForgotten()
    {
        var log = Create(retentionSeconds: 300);
        await log.CreateAsync(Info("m1"));
        await log.EndAsync("m1", Done, MessageStatus.Complete);

        _time.Advance(TimeSpan.FromSeconds(299));
        Assert.NotNull(await log.GetAsync("m1"));
        Assert.NotNull(await log.GetLatestAsync("s1"));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(await log.GetAsync("m1"));
        Assert.Null(await log.GetLatestAsync("s1"));
        Assert.Equal(AnswerRead.Missing, await log.ReadAsync("m1", 0, []));

        // A running answer never expires, however long it runs.
        await log.CreateAsync(Info("m2"));
        _time.Advance(TimeSpan.FromHours(1));
        Assert.True((await log.GetAsync("m2"))!.IsRunning);
        Assert.Equal(1, log.Count);
    }

    [Fact]
    public async Task OverItsBounds_EndedAnswersGoOldestFirst_RunningOnesStay()
    {
        var log = Create(maxAnswers: 2);
        await log.CreateAsync(Info("running", "a"));
        await log.CreateAsync(Info("old", "b"));
        await log.EndAsync("old", Done, MessageStatus.Complete);
        await log.CreateAsync(Info("new", "c"));
        await log.EndAsync("new", Done, MessageStatus.Complete);

        Assert.Null(await log.GetAsync("old"));
        Assert.NotNull(await log.GetAsync("new"));
        Assert.NotNull(await log.GetAsync("running"));

        var small = Create(maxBytes: 2048);
        await small.CreateAsync(Info("big", "a"));
        await small.AppendAsync("big", Token(new string('x', 2000)));
        await small.EndAsync("big", Done, MessageStatus.Complete);
        Assert.Null(await small.GetAsync("big"));
        Assert.Equal(0, small.Bytes);
    }

    [Fact]
    public async Task LatestInSession_IsTheNewestAnswer()
    {
        var log = Create();
        await log.CreateAsync(Info("m1"));
        await log.EndAsync("m1", Done, MessageStatus.Complete);
        await log.CreateAsync(Info("m2"));

        var latest = await log.GetLatestAsync("s1");
        Assert.Equal(("m2", true), (latest!.Info.MessageId, latest.IsRunning));
        Assert.Null(await log.GetLatestAsync("s2"));
    }

    [Fact]
    public async Task Writes_AfterTheEnd_OrToAnUnknownAnswer_Throw()
    {
        var log = Create();
        await log.CreateAsync(Info("m1"));
        await log.EndAsync("m1", Done, MessageStatus.Complete);

        await Assert.ThrowsAsync<InvalidOperationException>(() => log.AppendAsync("m1", Token("late")).AsTask());
        await Assert.ThrowsAsync<InvalidOperationException>(() => log.AppendAsync("nobody", Token("x")).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => log.AppendAsync("m1", Done).AsTask());
        await Assert.ThrowsAsync<InvalidOperationException>(() => log.CreateAsync(Info("m1")).AsTask());
    }

    [Fact]
    public async Task EndedAnswer_IsCompacted_AndReadsTheSameFromAnyPosition()
    {
        var log = Create();
        await log.CreateAsync(Info("m1"));
        AnswerEvent[] appended =
        [
            AnswerEvent.ForStart(new AnswerStart("m1", "s1", "demo", "model", Streaming: true)),
            Token("He"),
            Token(""),
            AnswerEvent.ForAudio(new AnswerAudio(0, "He", "wav", new byte[] { 1, 2 })),
            Token("llo"),
            Token(" there"),
        ];
        foreach (var e in appended)
        {
            await log.AppendAsync("m1", e);
        }

        var whileRunning = log.Bytes;
        await log.EndAsync("m1", Done, MessageStatus.Complete);
        Assert.True(log.Bytes < whileRunning + 256);

        for (var from = 0; from <= appended.Length; from++)
        {
            var events = new List<AnswerEvent>();
            Assert.Equal(AnswerRead.Events, await log.ReadAsync("m1", from, events));
            Assert.Equal([.. appended.Skip(from).Select(e => e.ToString()), "done"], events.Select(e => e.ToString()));
        }
    }
}
