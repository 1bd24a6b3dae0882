// Over 300 lines: one test class per seam (IAnswers), its cases side by side over the same fake model and stores.
using System.Net;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StreamingChat.Testing;

namespace StreamingChat.Core.Tests;

public sealed class AnswerServiceTests
{
    private readonly FakeChatClient _model = new();
    private readonly StreamingChatMetrics _metrics = TestMeterFactory.CreateMetrics();
    private readonly InMemoryConversationStore _conversations = new(Options.Create(new ChatStreamOptions()));
    private readonly InMemoryChatbotStore _chatbots = new(Options.Create(new ChatbotSeedOptions
    {
        Chatbots =
        {
            ["demo"] = new ChatbotSeed { SystemPrompt = "Be brief." },
            ["off"] = new ChatbotSeed { Enabled = false },
            ["custom"] = new ChatbotSeed { Model = "custom-model", Temperature = 0.5f, MaxOutputTokens = 42 },
        },
    }));

    private TestAnswers CreatePipeline(ChatStreamOptions? options = null, IConversationStore? conversations = null)
        => new(_model, _chatbots, conversations ?? _conversations, new StaticOptionsMonitor<ChatStreamOptions>(options ?? new ChatStreamOptions()), [], _metrics, TimeProvider.System, NullLogger.Instance);

    private static ChatQuery Query(string text = "Hi", string session = "s1", string chatbot = "demo") => new(text, chatbot, session);

    private static async Task<List<AnswerEvent>> CollectAsync(TestAnswers pipeline, ChatQuery query, bool streaming = true, CancellationToken cancellationToken = default)
    {
        var prepared = await pipeline.PrepareAsync(query, cancellationToken);
        Assert.NotNull(prepared);
        var events = new List<AnswerEvent>();
        await foreach (var e in pipeline.StreamAsync(prepared, streaming, cancellationToken))
        {
            events.Add(e);
        }

        return events;
    }

    [Fact]
    public async Task StreamAsync_Success_YieldsStartTokensDoneInOrder()
    {
        var events = await CollectAsync(CreatePipeline(), Query());

        Assert.Equal(
            [AnswerEventKind.Start, AnswerEventKind.Token, AnswerEventKind.Token, AnswerEventKind.Token, AnswerEventKind.Done],
            events.Select(e => e.Kind));
        Assert.Equal("Hello!", string.Concat(events.Select(e => e.Text)));
        var start = events[0].Start!;
        Assert.Equal(("s1", "demo", "fake-model", true), (start.SessionId, start.ChatbotId, start.Model, start.Streaming));
        var done = events[^1].Done!;
        Assert.Equal("stop", done.FinishReason);
        Assert.Equal(new AnswerUsage(12, 3), done.Usage);
        Assert.NotNull(done.FirstTokenMs);
        Assert.True(done.TotalMs >= done.FirstTokenMs);
        Assert.Equal(new MetricsTotals(1, 1, 0, 0, 3), _metrics.Totals);
        Assert.Equal(0, _metrics.ActiveStreams);
    }

    [Fact]
    public async Task StreamAsync_Success_StoresQuestionAndCompleteAnswer()
    {
        var events = await CollectAsync(CreatePipeline(), Query("What?"));

        var stored = await _conversations.GetRecentAsync("s1", 10);
        Assert.Equal(2, stored.Count);
        Assert.Equal((ConversationRole.User, "What?", MessageStatus.Complete), (stored[0].Role, stored[0].Content, stored[0].Status));
        Assert.Equal((ConversationRole.Assistant, "Hello!", MessageStatus.Complete), (stored[1].Role, stored[1].Content, stored[1].Status));
        Assert.Equal(events[0].Start!.MessageId, stored[1].MessageId);
        Assert.Equal(new AnswerUsage(12, 3), stored[1].Usage);
        Assert.NotNull(stored[1].FirstTokenMs);
    }

    [Fact]
    public async Task StreamAsync_StreamingOff_SendsWholeAnswerInOneToken()
    {
        var events = await CollectAsync(CreatePipeline(), Query(), streaming: false);

        Assert.Equal([AnswerEventKind.Start, AnswerEventKind.Token, AnswerEventKind.Done], events.Select(e => e.Kind));
        Assert.False(events[0].Start!.Streaming);
        Assert.Equal("Hello!", events[1].Text);
    }

    public static TheoryData<Exception, string> UpstreamFailures => new()
    {
        { new HttpRequestException("429", null, HttpStatusCode.TooManyRequests), ChatErrorCodes.UpstreamRateLimited },
        { new HttpRequestException("500", null, HttpStatusCode.InternalServerError), ChatErrorCodes.UpstreamUnavailable },
        { new HttpRequestException("refused"), ChatErrorCodes.UpstreamUnavailable },
        { new TimeoutException(), ChatErrorCodes.UpstreamTimeout },
        { new InvalidOperationException("bug"), ChatErrorCodes.InternalError },
    };

    [Theory]
    [MemberData(nameof(UpstreamFailures))]
    public async Task StreamAsync_FailsBeforeFirstToken_YieldsOneErrorAndStoresFailed(Exception failure, string code)
    {
        _model.FailBeforeFirstToken = failure;

        var events = await CollectAsync(CreatePipeline(), Query());

        Assert.Equal([AnswerEventKind.Start, AnswerEventKind.Error], events.Select(e => e.Kind));
        Assert.Equal(code, events[1].Error!.Code);
        Assert.Equal(new MetricsTotals(1, 0, 1, 0, 0), _metrics.Totals);
        var answer = (await _conversations.GetRecentAsync("s1", 10))[^1];
        Assert.Equal((MessageStatus.Failed, "", code), (answer.Status, answer.Content, answer.ErrorCode));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task StreamAsync_FailsMidStream_YieldsTokensSentThenErrorAndStoresThemAsFailed(bool streaming)
    {
        _model.FailAfterTokens = 2;

        var events = await CollectAsync(CreatePipeline(), Query(), streaming);

        Assert.Equal(AnswerEventKind.Error, events[^1].Kind);
        Assert.Equal(ChatErrorCodes.UpstreamUnavailable, events[^1].Error!.Code);
        Assert.Single(events, e => e.IsTerminal);
        var sent = string.Concat(events.Select(e => e.Text));
        Assert.Equal("Hello", sent);
        var answer = (await _conversations.GetRecentAsync("s1", 10))[^1];
        Assert.Equal((MessageStatus.Failed, sent), (answer.Status, answer.Content));
    }

    [Fact]
    public async Task StreamAsync_CallerCancelsWithNoGrace_CancelsModelCallAndStoresInterrupted()
    {
        using var caller = new CancellationTokenSource();
        _model.BeforeToken = (i, ct) => i == 1 ? Task.Delay(Timeout.Infinite, ct) : Task.CompletedTask;
        var pipeline = CreatePipeline(new ChatStreamOptions { DisconnectGraceSeconds = 0 });
        var prepared = await pipeline.PrepareAsync(Query());
        var events = new List<AnswerEvent>();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in pipeline.StreamAsync(prepared!, streaming: true, caller.Token))
            {
                events.Add(e);
                if (e.Kind == AnswerEventKind.Token)
                {
                    await caller.CancelAsync();
                }
            }
        });

        await _model.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var ending = await WhenEndedAsync(pipeline, prepared!.MessageId);
        Assert.Equal([AnswerEventKind.Start, AnswerEventKind.Token], events.Select(e => e.Kind));
        Assert.Equal(new MetricsTotals(1, 0, 0, 1, 1), _metrics.Totals);
        var answer = (await _conversations.GetRecentAsync("s1", 10))[^1];
        Assert.Equal((MessageStatus.Interrupted, "Hel"), (answer.Status, answer.Content));
        Assert.Equal((MessageStatus.Interrupted, "Hel"), (ending.Status, ending.Answer));

        // The log ends too, so a reader who comes late learns the answer is incomplete.
        var logged = await pipeline.Answers.ReadEventsAsync(prepared.MessageId).ToListAsync();
        Assert.Equal(ChatErrorCodes.AnswerLost, logged[^1].Error?.Code);
    }

    [Fact]
    public async Task StreamAsync_ConsumerStopsReadingEarlyWithNoGrace_CancelsModelCallAndStoresInterrupted()
    {
        _model.BeforeToken = (i, ct) => i == 1 ? Task.Delay(Timeout.Infinite, ct) : Task.CompletedTask;
        var pipeline = CreatePipeline(new ChatStreamOptions { DisconnectGraceSeconds = 0 });
        var prepared = await pipeline.PrepareAsync(Query());

        await foreach (var e in pipeline.StreamAsync(prepared!, streaming: true))
        {
            if (e.Kind == AnswerEventKind.Token)
            {
                break;
            }
        }

        await _model.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await WhenEndedAsync(pipeline, prepared!.MessageId);
        var answer = (await _conversations.GetRecentAsync("s1", 10))[^1];
        Assert.Equal((MessageStatus.Interrupted, "Hel"), (answer.Status, answer.Content));
    }

    /// <summary>How the answer ended, once it has (bounded).</summary>
    private static async Task<AnswerEnding> WhenEndedAsync(TestAnswers pipeline, string messageId)
    {
        if (pipeline.Running.Find(messageId) is { } running)
        {
            return await running.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        }

        var snapshot = await pipeline.Answers.GetAsync(messageId);
        Assert.NotNull(snapshot?.Status);
        return new AnswerEnding(messageId, snapshot.Status.Value, await pipeline.Answers.ReadTextAsync(messageId), snapshot.LastEventId, 0);
    }

    [Fact]
    public async Task StreamAsync_StoreFails_AnswerStillCompletes()
    {
        var events = await CollectAsync(CreatePipeline(conversations: new FailingConversationStore()), Query());

        Assert.Equal(AnswerEventKind.Done, events[^1].Kind);
    }

    [Fact]
    public async Task PrepareAsync_SecondQuestion_HasSystemPromptFirstTurnAndQuestion()
    {
        var pipeline = CreatePipeline();
        await CollectAsync(pipeline, Query("First?"));

        await CollectAsync(pipeline, Query("Second?"));

        var prompt = _model.Calls[^1];
        Assert.Equal(
            [(ChatRole.System, "Be brief."), (ChatRole.User, "First?"), (ChatRole.Assistant, "Hello!"), (ChatRole.User, "Second?")],
            prompt.Select(m => (m.Role, m.Text)));
    }

    [Fact]
    public async Task PrepareAsync_History_IsPerSessionAndBoundedByTurnsAndCharacters()
    {
        var pipeline = CreatePipeline(new ChatStreamOptions { HistoryTurns = 2, MaxHistoryCharacters = 1000 });
        for (var i = 0; i < 4; i++)
        {
            await CollectAsync(pipeline, Query($"Q{i}"));
        }

        await CollectAsync(pipeline, Query("other", session: "s2"));
        Assert.Equal(["other"], _model.Calls[^1].Select(m => m.Text).Where(t => t != "Be brief."));

        await CollectAsync(pipeline, Query("last"));
        Assert.Equal(["Q2", "Hello!", "Q3", "Hello!", "last"], _model.Calls[^1].Skip(1).Select(m => m.Text));

        var tight = CreatePipeline(new ChatStreamOptions { HistoryTurns = 10, MaxHistoryCharacters = 10 });
        await CollectAsync(tight, Query("final"));
        Assert.Equal(["last", "Hello!", "final"], _model.Calls[^1].Skip(1).Select(m => m.Text));
    }

    [Fact]
    public async Task PrepareAsync_ChatbotSettings_ReachTheModel()
    {
        var events = await CollectAsync(CreatePipeline(), Query(chatbot: "custom"));

        Assert.Equal("custom-model", events[0].Start!.Model);
        Assert.Equal(("custom-model", 0.5f, 42), (_model.LastOptions!.ModelId, _model.LastOptions.Temperature, _model.LastOptions.MaxOutputTokens));
    }

    [Fact]
    public async Task StreamAsync_EveryOutcome_EndsWithExactlyOneTerminalEventLast()
    {
        foreach (var setup in new Action<FakeChatClient>[]
        {
            m => { },
            m => m.FailBeforeFirstToken = new TimeoutException(),
            m => m.FailAfterTokens = 1,
            m => m.Tokens = [],
        })
        {
            var model = new FakeChatClient();
            setup(model);
            var pipeline = new TestAnswers(model, _chatbots, _conversations, new StaticOptionsMonitor<ChatStreamOptions>(new ChatStreamOptions()), [], _metrics, TimeProvider.System, NullLogger.Instance);

            var events = await CollectAsync(pipeline, Query());

            Assert.Single(events, e => e.IsTerminal);
            Assert.True(events[^1].IsTerminal);
            Assert.Equal(AnswerEventKind.Start, events[0].Kind);
        }
    }

    [Fact]
    public async Task StreamAsync_UpdatesKeptByMiddleware_HoldTextButNoProviderObjects()
    {
        var model = new ProviderObjectsChatClient();
        var pipeline = new TestAnswers(model, _chatbots, _conversations, new StaticOptionsMonitor<ChatStreamOptions>(new ChatStreamOptions()), [], _metrics, TimeProvider.System, NullLogger.Instance);

        var events = await CollectAsync(pipeline, Query(session: "raw"));

        Assert.Equal(["Hello", " world"], events.Where(e => e.Kind == AnswerEventKind.Token).Select(e => e.Text));
        Assert.Equal(3, model.Yielded.Count);
        Assert.All(model.Yielded, u => Assert.Null(u.RawRepresentation));
        Assert.All(model.Yielded.SelectMany(u => u.Contents), c => Assert.Null(c.RawRepresentation));
        Assert.Equal("Hello world", model.Yielded.ToChatResponse().Text);
        var answer = (await _conversations.GetRecentAsync("raw", 10))[^1];
        Assert.Equal(new AnswerUsage(7, 2), answer.Usage);
    }

    /// <summary>A model whose updates carry provider objects, keeping every update it yields as telemetry middleware does.</summary>
    private sealed class ProviderObjectsChatClient : IChatClient
    {
        public List<ChatResponseUpdate> Yielded { get; } = [];

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
            => throw new NotSupportedException();

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            foreach (var update in new[]
            {
                new ChatResponseUpdate(ChatRole.Assistant, [new TextContent("Hello") { RawRepresentation = new object() }]) { RawRepresentation = new object() },
                new ChatResponseUpdate(ChatRole.Assistant, [new TextContent(" world") { RawRepresentation = new object() }]) { RawRepresentation = new object() },
                new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails { InputTokenCount = 7, OutputTokenCount = 2 }) { RawRepresentation = new object() }]) { RawRepresentation = new object(), FinishReason = ChatFinishReason.Stop },
            })
            {
                Yielded.Add(update);
                yield return update;
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    private sealed class FailingConversationStore : IConversationStore
    {
        public Task AppendAsync(IReadOnlyList<ConversationMessage> messages, CancellationToken cancellationToken = default) => throw new IOException("store down");

        public Task<IReadOnlyList<ConversationMessage>> GetRecentAsync(string sessionId, string? owner, int maxMessages, string? beforeMessageId = null, CancellationToken cancellationToken = default)
            => Task.FromResult<IReadOnlyList<ConversationMessage>>([]);

        public Task<ConversationSession?> GetSessionAsync(string sessionId, CancellationToken cancellationToken = default) => throw new IOException("store down");

        public Task<ConversationMessage?> GetMessageAsync(string messageId, CancellationToken cancellationToken = default) => throw new IOException("store down");

        public Task<ConversationSession> GetOrCreateSessionAsync(ConversationSession session, CancellationToken cancellationToken = default) => throw new IOException("store down");

        public Task<bool> DeleteSessionAsync(string sessionId, CancellationToken cancellationToken = default) => throw new IOException("store down");
    }
}
