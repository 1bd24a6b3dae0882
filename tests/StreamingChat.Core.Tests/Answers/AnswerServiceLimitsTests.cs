using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StreamingChat.Testing;

namespace StreamingChat.Core.Tests;

/// <summary>The model's time limits and the instance's stop: each ends the answer with exactly one error event.</summary>
public sealed class AnswerServiceLimitsTests
{
    private readonly FakeChatClient _model = new() { Tokens = ["one", " two", " three"] };
    private readonly InMemoryConversationStore _conversations = new(Options.Create(new ChatStreamOptions()));

    private TestAnswers Pipeline(ChatStreamOptions options) => new(
        _model,
        new InMemoryChatbotStore(Options.Create(new ChatbotSeedOptions())),
        _conversations,
        new StaticOptionsMonitor<ChatStreamOptions>(options),
        [],
        TestMeterFactory.CreateMetrics(),
        TimeProvider.System,
        NullLogger.Instance);

    private static async Task<List<AnswerEvent>> CollectAsync(TestAnswers pipeline, CancellationToken stop = default, Action<AnswerEvent>? seen = null)
    {
        var prepared = await pipeline.PrepareAsync(new ChatQuery("Hi", "demo", "s1"));
        var events = new List<AnswerEvent>();
        await foreach (var e in pipeline.StreamAsync(prepared!, streaming: true, stop, CancellationToken.None))
        {
            events.Add(e);
            seen?.Invoke(e);
        }

        return events;
    }

    [Fact]
    public async Task NoFirstToken_WithinTheLimit_EndsWithUpstreamTimeout_AndCancelsTheModel()
    {
        _model.BeforeToken = (_, ct) => Task.Delay(Timeout.Infinite, ct);

        var events = await CollectAsync(Pipeline(new ChatStreamOptions { FirstTokenTimeoutSeconds = 0.2 }));

        Assert.Equal([AnswerEventKind.Start, AnswerEventKind.Error], events.Select(e => e.Kind));
        Assert.Equal((ChatErrorCodes.UpstreamTimeout, true), (events[^1].Error!.Code, events[^1].Error!.Retryable));
        Assert.Contains("first token", events[^1].Error!.Message, StringComparison.Ordinal);
        Assert.True(_model.Cancelled.Task.IsCompleted);
        var stored = await _conversations.GetRecentAsync("s1", 10);
        Assert.Equal(MessageStatus.Failed, stored[^1].Status);
    }

    [Fact]
    public async Task SilenceBetweenTokens_PastTheLimit_EndsWithUpstreamTimeout_KeepingWhatWasSent()
    {
        _model.BeforeToken = (index, ct) => index == 1 ? Task.Delay(Timeout.Infinite, ct) : Task.CompletedTask;

        var events = await CollectAsync(Pipeline(new ChatStreamOptions { FirstTokenTimeoutSeconds = 30, IdleTimeoutSeconds = 0.2 }));

        Assert.Equal([AnswerEventKind.Start, AnswerEventKind.Token, AnswerEventKind.Error], events.Select(e => e.Kind));
        Assert.Equal(ChatErrorCodes.UpstreamTimeout, events[^1].Error!.Code);
        Assert.Contains("silent", events[^1].Error!.Message, StringComparison.Ordinal);
        var answer = (await _conversations.GetRecentAsync("s1", 10))[^1];
        Assert.Equal((MessageStatus.Failed, "one", ChatErrorCodes.UpstreamTimeout), (answer.Status, answer.Content, answer.ErrorCode));
    }

    [Fact]
    public async Task Stop_MidAnswer_EndsWithServerDraining_AndStoresWhatWasSentAsInterrupted()
    {
        _model.BeforeToken = (index, ct) => index == 2 ? Task.Delay(Timeout.Infinite, ct) : Task.CompletedTask;
        using var stop = new CancellationTokenSource();

        var events = await CollectAsync(Pipeline(new ChatStreamOptions()), stop.Token, e =>
        {
            if (e.Kind == AnswerEventKind.Token && e.Text == " two")
            {
                stop.Cancel();
            }
        });

        Assert.Equal([AnswerEventKind.Start, AnswerEventKind.Token, AnswerEventKind.Token, AnswerEventKind.Error], events.Select(e => e.Kind));
        Assert.Equal((ChatErrorCodes.ServerDraining, true), (events[^1].Error!.Code, events[^1].Error!.Retryable));
        var answer = (await _conversations.GetRecentAsync("s1", 10))[^1];
        Assert.Equal((MessageStatus.Interrupted, "one two"), (answer.Status, answer.Content));
    }

    [Fact]
    public async Task ZeroLimits_AreOff()
    {
        _model.BeforeToken = (_, _) => Task.Delay(50);

        var events = await CollectAsync(Pipeline(new ChatStreamOptions { FirstTokenTimeoutSeconds = 0, IdleTimeoutSeconds = 0 }));

        Assert.Equal(AnswerEventKind.Done, events[^1].Kind);
    }
}
