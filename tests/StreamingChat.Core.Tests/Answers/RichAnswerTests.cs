using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StreamingChat.Testing;

namespace StreamingChat.Core.Tests;

/// <summary>
/// Answers with more than text, through Microsoft.Extensions.AI's function invocation inside the answer: the offline model
/// (which reasons and calls <c>get_time</c> and <c>open_ticket</c>), and a scripted model for what a real model may do wrong.
/// </summary>
public sealed class RichAnswerTests
{
    private readonly StreamingChatMetrics _metrics = TestMeterFactory.CreateMetrics();
    private readonly InMemoryConversationStore _conversations = new(Options.Create(new ChatStreamOptions()));
    private readonly InMemoryChatbotStore _chatbots = new(Options.Create(new ChatbotSeedOptions
    {
        Chatbots =
        {
            ["tools"] = new ChatbotSeed { Tools = ["get_time", "open_ticket", "broken", "slow"] },
            ["plain"] = new ChatbotSeed(),
        },
    }));

    private int _ticketsOpened;

    private readonly TaskCompletionSource<bool> _slowToolCancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private AIFunction[] Tools =>
    [
        AIFunctionFactory.Create((string? zone) => new { utc = "2026-12-07T18:00:00Z", zone }, "get_time"),
        new ApprovalRequiredAIFunction(AIFunctionFactory.Create((string title) => new { ticketId = "T-" + Interlocked.Increment(ref _ticketsOpened), title }, "open_ticket")),
        AIFunctionFactory.Create(string () => throw new InvalidOperationException("secret details"), "broken"),
        AIFunctionFactory.Create(async (CancellationToken cancellationToken) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
                return "never";
            }
            catch (OperationCanceledException)
            {
                _slowToolCancelled.TrySetResult(true);
                throw;
            }
        }, "slow"),
    ];

    private TestAnswers Answers(IChatClient model, ChatStreamOptions? options = null)
        => new(model, _chatbots, _conversations, new StaticOptionsMonitor<ChatStreamOptions>(options ?? new ChatStreamOptions()), [], _metrics, TimeProvider.System, NullLogger.Instance, tools: Tools);

    private static OfflineChatClient Offline() => new(Options.Create(new OfflineModelOptions { FirstTokenDelayMs = 0, TokenIntervalMs = 0, Sentences = 1 }));

    private static async Task<List<AnswerEvent>> AskAsync(TestAnswers answers, ChatQuery query)
    {
        var question = await answers.PrepareAsync(query);
        Assert.NotNull(question);
        var events = new List<AnswerEvent>();
        await foreach (var e in answers.StreamAsync(question, streaming: true))
        {
            events.Add(e);
        }

        return events;
    }

    [Fact]
    public async Task ATimeQuestion_ReasoningToolCallResultThenTextCitingASource_StoredAsParts()
    {
        var answers = Answers(Offline());

        var events = await AskAsync(answers, new ChatQuery("What time is it?", "tools", "s1"));

        var kinds = events.Select(e => e.Kind).Distinct().ToList();
        Assert.Equal([AnswerEventKind.Start, AnswerEventKind.Reasoning, AnswerEventKind.ToolCall, AnswerEventKind.ToolResult, AnswerEventKind.Token, AnswerEventKind.Source, AnswerEventKind.Done], kinds);
        var call = events.Single(e => e.Kind == AnswerEventKind.ToolCall).ToolCall!;
        Assert.Equal(("get_time", "UTC"), (call.ToolName, call.Input.GetProperty("zone").GetString()));
        var result = events.Single(e => e.Kind == AnswerEventKind.ToolResult).ToolResult!;
        Assert.Equal((call.ToolCallId, "2026-12-07T18:00:00Z"), (result.ToolCallId, result.Output!.Value.GetProperty("utc").GetString()));
        var text = string.Concat(events.Where(e => e.Kind == AnswerEventKind.Token).Select(e => e.Text));
        Assert.StartsWith("The tool get_time answered", text, StringComparison.Ordinal);
        Assert.Equal("stop", events[^1].Done!.FinishReason);

        var stored = (await _conversations.GetRecentAsync("s1", 10))[^1];
        Assert.Equal(text, stored.Content);
        Assert.Equal(["reasoning", "tool", "text", "source", "text"], stored.Parts.Select(p => p.Type));
        Assert.Equal(("output-available", "get_time"), (stored.Parts[1].State, stored.Parts[1].ToolName));
        Assert.Equal(text, string.Concat(stored.Parts.Where(p => p.Type == "text").Select(p => p.Text)));

        // Both model calls are counted in the answer's usage.
        Assert.True(events[^1].Done!.Usage!.OutputTokens > 8);
    }

    [Fact]
    public async Task SendReasoningOff_CallersDoNotSeeIt_TheTurnKeepsIt()
    {
        var answers = Answers(Offline(), new ChatStreamOptions { SendReasoning = false });

        var events = await AskAsync(answers, new ChatQuery("What time is it?", "tools", "s2"));

        Assert.DoesNotContain(events, e => e.Kind == AnswerEventKind.Reasoning);
        Assert.Equal("reasoning", (await _conversations.GetRecentAsync("s2", 10))[^1].Parts[0].Type);
    }

    [Fact]
    public async Task APlainChatbot_GetsNoTools_AndItsTurnsNoParts()
    {
        var answers = Answers(Offline());

        var events = await AskAsync(answers, new ChatQuery("What time is it?", "plain", "s3"));

        Assert.Equal([AnswerEventKind.Start, AnswerEventKind.Token, AnswerEventKind.Done], events.Select(e => e.Kind).Distinct());
        Assert.Empty((await _conversations.GetRecentAsync("s3", 10))[^1].Parts);
    }

    [Fact]
    public async Task ATicket_PausesForApproval_ThenTheContinuationRunsTheToolOnce()
    {
        var answers = Answers(Offline());

        var paused = await AskAsync(answers, new ChatQuery("Open a ticket: the printer is jammed", "tools", "s4"));

        var request = paused.Single(e => e.Kind == AnswerEventKind.ApprovalRequest).ApprovalRequest!;
        Assert.Equal("open_ticket", request.ToolName);
        Assert.Equal("approval_required", paused[^1].Done!.FinishReason);
        Assert.Equal(0, _ticketsOpened);
        var pausedTurn = (await _conversations.GetRecentAsync("s4", 10))[^1];
        Assert.Contains(pausedTurn.Parts, p => p.ApprovalId == request.ApprovalId && p.State == "approval-requested");

        var approval = new ToolApproval(request.ApprovalId, request.ToolCallId, request.ToolName, request.Input, Approved: true);
        var continued = await AskAsync(answers, new ChatQuery("", "tools", "s4") { Approval = approval });

        Assert.Equal(AnswerEventKind.ToolResult, continued[1].Kind);
        Assert.Equal("T-1", continued[1].ToolResult!.Output!.Value.GetProperty("ticketId").GetString());
        Assert.Equal(1, _ticketsOpened);
        Assert.Equal("stop", continued[^1].Done!.FinishReason);
        var turns = await _conversations.GetRecentAsync("s4", 10);
        Assert.Equal([ConversationRole.User, ConversationRole.Assistant, ConversationRole.Assistant], turns.Select(t => t.Role));
    }

    [Fact]
    public async Task ADeniedApproval_IsAToolResultWithTheDenial_AndTheToolNeverRuns()
    {
        var answers = Answers(Offline());
        var paused = await AskAsync(answers, new ChatQuery("A ticket please", "tools", "s5"));
        var request = paused.Single(e => e.Kind == AnswerEventKind.ApprovalRequest).ApprovalRequest!;

        var continued = await AskAsync(answers, new ChatQuery("", "tools", "s5") { Approval = new ToolApproval(request.ApprovalId, request.ToolCallId, request.ToolName, request.Input, Approved: false, "not now") });

        Assert.Equal("Denied: not now", continued[1].ToolResult!.Error);
        Assert.Equal(0, _ticketsOpened);
        Assert.Equal(AnswerEventKind.Done, continued[^1].Kind);
    }

    [Theory]
    [InlineData("broken", "The tool failed (InvalidOperationException).")]
    [InlineData("no_such_tool", "The model asked for a tool this chatbot does not have (no_such_tool).")]
    public async Task AToolThatThrowsOrIsUnknown_IsAToolResultWithAnError_AndTheModelGoesOn(string tool, string error)
    {
        var answers = Answers(new ScriptedModel(new FunctionCallContent("call_9", tool, new Dictionary<string, object?>())));

        var events = await AskAsync(answers, new ChatQuery("Go", "tools", "s6"));

        var result = events.Single(e => e.Kind == AnswerEventKind.ToolResult).ToolResult!;
        Assert.Equal((error, (JsonElement?)null), (result.Error, result.Output));
        Assert.DoesNotContain("secret", result.Error, StringComparison.Ordinal);
        Assert.Equal("Done.", string.Concat(events.Where(e => e.Kind == AnswerEventKind.Token).Select(e => e.Text)));
        Assert.Equal("stop", events[^1].Done!.FinishReason);
    }

    [Fact]
    public async Task ArgumentsThatAreNotJson_AreAnEmptyInputAndAnErrorResult()
    {
        var call = FunctionCallContent.CreateFromParsedArguments("{not json", "call_7", "get_time", static json => JsonSerializer.Deserialize<Dictionary<string, object?>>(json));
        var answers = Answers(new ScriptedModel(call));

        var events = await AskAsync(answers, new ChatQuery("Go", "tools", "s7"));

        Assert.Equal("{}", events.Single(e => e.Kind == AnswerEventKind.ToolCall).ToolCall!.Input.GetRawText());
        Assert.NotNull(events.Single(e => e.Kind == AnswerEventKind.ToolResult).ToolResult!.Error);
        Assert.Equal(AnswerEventKind.Done, events[^1].Kind);
    }

    [Fact]
    public async Task AToolThatNeverReturns_EndsAtItsLimit_AsAnError_AndTheAnswerGoesOn()
    {
        var answers = Answers(new ScriptedModel(new FunctionCallContent("call_8", "slow", new Dictionary<string, object?>())), new ChatStreamOptions { ToolTimeoutSeconds = 0.3, IdleTimeoutSeconds = 0.1 });

        var events = await AskAsync(answers, new ChatQuery("Go", "tools", "s8"));

        Assert.Equal("The tool did not answer within 0.3 s.", events.Single(e => e.Kind == AnswerEventKind.ToolResult).ToolResult!.Error);
        Assert.Equal("stop", events[^1].Done!.FinishReason); // the model's idle limit did not run while the tool did
        Assert.True(await _slowToolCancelled.Task.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task AStopDuringATool_CancelsTheTool_AndStoresThePartsSoFarAsStopped()
    {
        var answers = Answers(new ScriptedModel(new FunctionCallContent("call_5", "slow", new Dictionary<string, object?>())));
        var question = await answers.PrepareAsync(new ChatQuery("Go", "tools", "s9"));
        var answer = await answers.StartAsync(question!, streaming: true);
        using var reader = answer.AttachReader();
        var events = new List<AnswerEvent>();
        await foreach (var e in answers.Answers.ReadEventsAsync(answer.MessageId, 0))
        {
            events.Add(e);
            if (e.Kind == AnswerEventKind.ToolCall)
            {
                _ = answer.StopAsync();
            }
        }

        Assert.True(await _slowToolCancelled.Task.WaitAsync(TimeSpan.FromSeconds(1)));
        Assert.Equal("stopped", events[^1].Done!.FinishReason);
        var stored = (await _conversations.GetRecentAsync("s9", 10))[^1];
        Assert.Equal(MessageStatus.Stopped, stored.Status);
        Assert.Equal(("tool", "input-available"), (stored.Parts[0].Type, stored.Parts[0].State));
    }

    /// <summary>A model that asks for one call, then answers "Done." once it has the call's result.</summary>
    private sealed class ScriptedModel(FunctionCallContent call) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
            => GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            if (messages.Last().Role == ChatRole.Tool)
            {
                yield return new ChatResponseUpdate(ChatRole.Assistant, "Done.");
                yield return new ChatResponseUpdate { Role = ChatRole.Assistant, FinishReason = ChatFinishReason.Stop };
                yield break;
            }

            yield return new ChatResponseUpdate { Role = ChatRole.Assistant, Contents = [call], FinishReason = ChatFinishReason.ToolCalls };
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
