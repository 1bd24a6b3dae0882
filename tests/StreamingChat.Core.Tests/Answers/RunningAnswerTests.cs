using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StreamingChat.Testing;

namespace StreamingChat.Core.Tests;

/// <summary>An answer produced detached from its readers: stop, the grace time without a reader, the drain deadline.</summary>
public sealed class RunningAnswerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly FakeChatClient _model = new() { Tokens = ["One ", "two ", "three ", "four."] };
    private readonly StreamingChatMetrics _metrics = TestMeterFactory.CreateMetrics();
    private readonly InMemoryConversationStore _conversations = new(Options.Create(new ChatStreamOptions()));
    private readonly InMemoryChatbotStore _chatbots = new(Options.Create(new ChatbotSeedOptions { Chatbots = { ["demo"] = new ChatbotSeed() } }));
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RunningAnswerTests()
    {
        // Two tokens, then the model waits until the test releases it (or the call is cancelled).
        _model.BeforeToken = (i, ct) => i == 2 ? _release.Task.WaitAsync(ct) : Task.CompletedTask;
    }

    private TestAnswers Create(double graceSeconds = 10, TimeProvider? time = null)
        => new(_model, _chatbots, _conversations, new StaticOptionsMonitor<ChatStreamOptions>(new ChatStreamOptions { DisconnectGraceSeconds = graceSeconds }), [], _metrics, time ?? TimeProvider.System, NullLogger.Instance);

    private static async Task<RunningAnswer> StartAsync(TestAnswers pipeline, bool streaming = true, CancellationToken deadline = default)
    {
        var prepared = await pipeline.PrepareAsync(new ChatQuery("Count", "demo", "s1"));
        return await pipeline.StartAsync(prepared!, streaming, deadline);
    }

    /// <summary>Reads the log until it holds <paramref name="count"/> events.</summary>
    private static async Task<List<AnswerEvent>> ReadAsync(TestAnswers pipeline, string messageId, int count)
    {
        var events = new List<AnswerEvent>();
        using var timeout = new CancellationTokenSource(Patience);
        while (events.Count < count && await pipeline.Answers.ReadAsync(messageId, events.Count, events, timeout.Token) == AnswerRead.Events)
        {
        }

        return events;
    }

    [Fact]
    public async Task Stop_EndsWithDoneStopped_StoresExactlyWhatWasLogged_AndIsIdempotent()
    {
        var pipeline = Create();
        var answer = await StartAsync(pipeline);
        using var reader = answer.AttachReader();
        await ReadAsync(pipeline, answer.MessageId, 3); // start and two tokens

        var ending = await answer.StopAsync().WaitAsync(Patience);
        Assert.True(_model.Cancelled.Task.IsCompleted);

        Assert.Equal((MessageStatus.Stopped, "One two ", 3L), (ending.Status, ending.Answer, ending.LastEventId));
        var stored = (await _conversations.GetRecentAsync("s1", 10))[^1];
        Assert.Equal((MessageStatus.Stopped, "One two "), (stored.Status, stored.Content));
        var events = await pipeline.Answers.ReadEventsAsync(answer.MessageId).ToListAsync();
        Assert.Equal("stopped", events[^1].Done?.FinishReason);
        Assert.Equal(ending.Answer, string.Concat(events.Where(e => e.Kind == AnswerEventKind.Token).Select(e => e.Text)));
        Assert.Equal(ending, await answer.StopAsync());
        Assert.Null(pipeline.Running.Find(answer.MessageId));
        Assert.Equal(new MetricsTotals(1, 0, 0, 1, 2), _metrics.Totals);
        await _model.Cancelled.Task.WaitAsync(Patience);
    }

    [Fact]
    public async Task Stop_WithStreamingOff_LogsWhatWasSaidAsOneToken()
    {
        var pipeline = Create();
        var answer = await StartAsync(pipeline, streaming: false);
        using var reader = answer.AttachReader();
        await Task.Delay(100);

        var ending = await answer.StopAsync().WaitAsync(Patience);

        var events = await pipeline.Answers.ReadEventsAsync(answer.MessageId).ToListAsync();
        Assert.Equal(["start", "token One two ", "done"], events.Select(e => e.ToString()));
        Assert.Equal("One two ", ending.Answer);
    }

    [Fact]
    public async Task Reader_LeavingAndComingBackWithinTheGrace_GetsTheWholeAnswer()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var pipeline = Create(graceSeconds: 10, time);
        var answer = await StartAsync(pipeline);
        var first = answer.AttachReader();
        await ReadAsync(pipeline, answer.MessageId, 3);
        first.Dispose();

        time.Advance(TimeSpan.FromSeconds(9));
        using var second = answer.AttachReader();
        time.Advance(TimeSpan.FromSeconds(5));
        _release.SetResult();

        var ending = await answer.Completion.WaitAsync(Patience);
        Assert.Equal((MessageStatus.Complete, "One two three four."), (ending.Status, ending.Answer));
    }

    [Fact]
    public async Task NoReader_ForTheGrace_CancelsTheModelCall_AndStoresInterrupted()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var pipeline = Create(graceSeconds: 10, time);
        var answer = await StartAsync(pipeline);
        answer.AttachReader().Dispose();
        await ReadAsync(pipeline, answer.MessageId, 3);

        time.Advance(TimeSpan.FromSeconds(10));
        await _model.Cancelled.Task.WaitAsync(Patience);
        var ending = await answer.Completion.WaitAsync(Patience);

        Assert.Equal((MessageStatus.Interrupted, "One two "), (ending.Status, ending.Answer));
        var events = await pipeline.Answers.ReadEventsAsync(answer.MessageId).ToListAsync();
        Assert.Equal(ChatErrorCodes.AnswerLost, events[^1].Error?.Code);
        Assert.Equal(MessageStatus.Interrupted, (await _conversations.GetRecentAsync("s1", 10))[^1].Status);
    }

    [Fact]
    public async Task NoReaderEver_CountsFromTheStart()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var pipeline = Create(graceSeconds: 5, time);
        var answer = await StartAsync(pipeline);
        await ReadAsync(pipeline, answer.MessageId, 3);

        time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(MessageStatus.Interrupted, (await answer.Completion.WaitAsync(Patience)).Status);
    }

    [Fact]
    public async Task DrainDeadline_EndsWithServerDraining_AndStoresInterrupted()
    {
        using var deadline = new CancellationTokenSource();
        var pipeline = Create();
        var answer = await StartAsync(pipeline, deadline: deadline.Token);
        using var reader = answer.AttachReader();
        await ReadAsync(pipeline, answer.MessageId, 3);

        await deadline.CancelAsync();
        var ending = await answer.Completion.WaitAsync(Patience);

        Assert.Equal(MessageStatus.Interrupted, ending.Status);
        var events = await pipeline.Answers.ReadEventsAsync(answer.MessageId).ToListAsync();
        Assert.Equal(ChatErrorCodes.ServerDraining, events[^1].Error?.Code);
    }

    [Fact]
    public async Task EndingHook_RunsAfterTheStore_AndBeforeTheTerminalEvent()
    {
        var pipeline = Create();
        var prepared = await pipeline.PrepareAsync(new ChatQuery("Count", "demo", "s1"));
        var seen = new List<string>();
        _release.SetResult();
        var answer = await pipeline.StartAsync(prepared!, streaming: true, ending: async ending =>
        {
            seen.Add((await _conversations.GetRecentAsync("s1", 10))[^1].Status.ToString());
            seen.Add((await pipeline.Answers.GetAsync(ending.MessageId))!.IsRunning ? "running" : "ended");
            seen.Add(ending.OutputTokens.ToString(System.Globalization.CultureInfo.InvariantCulture));
        });
        using var reader = answer.AttachReader();

        await answer.Completion.WaitAsync(Patience);

        Assert.Equal(["Complete", "running", "3"], seen); // the fake model reports 3 output tokens
    }
}
