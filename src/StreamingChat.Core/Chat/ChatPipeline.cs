using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace StreamingChat.Core;

/// <summary>
/// Answers one question as a sequence of stream events: <c>start</c>, <c>token</c>…, then exactly one <c>done</c> or
/// <c>error</c>. Builds the prompt from the chatbot's system prompt, the session's recent history and the question,
/// passes cancellation through to the model, and stores the question and the answer with its status
/// (<c>complete</c>, <c>interrupted</c> or <c>failed</c>), also when the caller has gone.
/// </summary>
/// <remarks>
/// One file over 300 lines: preparing a question, streaming its answer (with speech beside it) and storing both turns
/// share one answer's state (<c>Outcome</c>) and its single exit path, which stores the turn and records the metrics
/// however the stream ended. The model call's own concerns live in middleware (<c>ChatClients/</c>).
/// </remarks>
public sealed class ChatPipeline
{
    private readonly IChatClient _chatClient;
    private readonly IChatbotStore _chatbots;
    private readonly IConversationStore _conversations;
    private readonly IOptionsMonitor<ChatStreamOptions> _options;
    private readonly TimeProvider _time;
    private readonly StreamingChatMetrics _metrics;
    private readonly ILogger _logger;
    private readonly string _defaultModel;
    private readonly SpeechSynthesis? _speech;

    /// <summary>Creates the pipeline.</summary>
    public ChatPipeline(
        IChatClient chatClient,
        IChatbotStore chatbots,
        IConversationStore conversations,
        IOptionsMonitor<ChatStreamOptions> options,
        IEnumerable<IChatErrorClassifier> classifiers,
        StreamingChatMetrics metrics,
        TimeProvider timeProvider,
        ILogger<ChatPipeline> logger,
        SpeechSynthesis? speech = null)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        ArgumentNullException.ThrowIfNull(chatbots);
        ArgumentNullException.ThrowIfNull(conversations);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(classifiers);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        // The model call's cross-cutting concerns as middleware, so the pipeline reads top to bottom: every failure
        // classified into an error code (outermost, so a timeout's is too), the first-token and idle limits, and the
        // provider's objects dropped from each update as it passes.
        _chatClient = chatClient.AsBuilder()
            .UseErrorClassification([.. classifiers], logger)
            .UseModelTimeouts(() => options.CurrentValue, timeProvider, logger)
            .UseProviderObjectRelease()
            .Build();
        _chatbots = chatbots;
        _conversations = conversations;
        _options = options;
        _speech = speech;
        _time = timeProvider;
        _metrics = metrics;
        _logger = logger;
        _defaultModel = chatClient.GetService<ChatClientMetadata>()?.DefaultModelId ?? "default";
    }

    /// <summary>
    /// Finds the chatbot and builds the prompt. Null when no enabled chatbot has the query's id (the caller answers
    /// <c>404 chatbot_not_found</c>); nothing is stored in that case.
    /// </summary>
    public async Task<PreparedChat?> PrepareAsync(ChatQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var started = _time.GetTimestamp();
        var chatbot = await _chatbots.GetAsync(query.ChatbotId, cancellationToken).ConfigureAwait(false);
        if (chatbot is not { Enabled: true })
        {
            return null;
        }

        var options = _options.CurrentValue;
        var history = options.HistoryTurns == 0 ? [] : await ReadHistoryAsync(query, options.HistoryTurns * 2, cancellationToken).ConfigureAwait(false);

        var chatOptions = new ChatOptions
        {
            ModelId = chatbot.Model,
            Temperature = chatbot.Temperature,
            MaxOutputTokens = chatbot.MaxOutputTokens,
        };
        return new PreparedChat(
            query,
            chatbot,
            BuildPrompt(chatbot, history, query.Query, options.MaxHistoryCharacters),
            chatOptions,
            Guid.CreateVersion7().ToString("N"),
            chatbot.Model ?? _defaultModel,
            started);
    }

    /// <summary>The session's recent turns; none, with a warning, when the store cannot be read, so the question is still answered.</summary>
    private async Task<IReadOnlyList<ConversationMessage>> ReadHistoryAsync(ChatQuery query, int maxMessages, CancellationToken cancellationToken)
    {
        try
        {
            return await _conversations.GetRecentAsync(query.SessionId, query.Owner, maxMessages, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.HistoryUnavailable(_logger, query.ChatbotId, ex);
            return [];
        }
    }

    internal static List<ChatMessage> BuildPrompt(ChatbotDefinition chatbot, IReadOnlyList<ConversationMessage> history, string question, int maxHistoryCharacters)
    {
        // Newest turns first until the character budget is spent, then put back in order.
        var kept = new List<ConversationMessage>();
        var budget = maxHistoryCharacters;
        for (var i = history.Count - 1; i >= 0; i--)
        {
            var turn = history[i];
            if (turn.ChatbotId != chatbot.Id || turn.Content.Length == 0)
            {
                continue;
            }

            budget -= turn.Content.Length;
            if (budget < 0)
            {
                break;
            }

            kept.Add(turn);
        }

        kept.Reverse();
        var messages = new List<ChatMessage>(kept.Count + 2);
        if (!string.IsNullOrWhiteSpace(chatbot.SystemPrompt))
        {
            messages.Add(new ChatMessage(ChatRole.System, chatbot.SystemPrompt));
        }

        foreach (var turn in kept)
        {
            messages.Add(new ChatMessage(turn.Role == ConversationRole.User ? ChatRole.User : ChatRole.Assistant, turn.Content));
        }

        messages.Add(new ChatMessage(ChatRole.User, question));
        return messages;
    }

    /// <summary>
    /// Streams the answer. With <paramref name="streaming"/> false the same events come, but the whole answer is in
    /// one <c>token</c> event written when it is complete. Cancelling <paramref name="cancellationToken"/> (the caller
    /// left) cancels the model call, stores the partial answer as <see cref="MessageStatus.Interrupted"/> and ends
    /// the sequence without a terminal event; so does disposing the enumerator early.
    /// </summary>
    public IAsyncEnumerable<ChatStreamEvent> StreamAsync(PreparedChat chat, bool streaming, CancellationToken cancellationToken = default)
        => StreamAsync(chat, streaming, CancellationToken.None, cancellationToken);

    /// <summary>
    /// Streams the answer as <see cref="StreamAsync(PreparedChat, bool, CancellationToken)"/> does; cancelling
    /// <paramref name="stopToken"/> (the instance is shutting down and its drain time is over) cancels the model call and
    /// ends the answer with an <c>error</c> event of code <c>server_draining</c>, the text sent so far stored as
    /// <see cref="MessageStatus.Interrupted"/>.
    /// </summary>
    public async IAsyncEnumerable<ChatStreamEvent> StreamAsync(PreparedChat chat, bool streaming, CancellationToken stopToken, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chat);
        var options = _options.CurrentValue;
        var query = chat.Query;
        var question = new ConversationMessage
        {
            MessageId = chat.MessageId + "-q",
            SessionId = query.SessionId,
            ChatbotId = query.ChatbotId,
            Owner = query.Owner,
            Role = ConversationRole.User,
            Content = query.Query,
            CreatedAt = _time.GetUtcNow(),
        };

        // The question is stored while the model thinks, so storing it adds nothing to first-token latency.
        var questionStored = PersistAsync(question);
        var answer = new StringBuilder();
        var outcome = new Outcome();
        using var upstreamCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopToken);
        IAsyncEnumerator<ChatResponseUpdate>? upstream = null;
        Task<bool>? pendingMove = null;
        SpeechSession? speech = null;
        using var activity = StreamingChatMetrics.ActivitySource.StartActivity("chat.stream", ActivityKind.Internal);
        activity?.SetTag(StreamingChatTelemetry.Tags.ChatbotId, query.ChatbotId);
        activity?.SetTag(StreamingChatTelemetry.Tags.RequestModel, chat.Model);
        activity?.SetTag(StreamingChatTelemetry.Tags.Streaming, streaming);
        _metrics.StreamStarted(query.ChatbotId, chat.Model, streaming);
        try
        {
            yield return ChatStreamEvent.ForStart(new ChatStreamStart(chat.MessageId, query.SessionId, query.ChatbotId, chat.Model, streaming, query.SessionKey));

            upstream = _chatClient.GetStreamingResponseAsync(chat.Messages, chat.Options, upstreamCancellation.Token).GetAsyncEnumerator(upstreamCancellation.Token);
            speech = _speech?.Begin(chat, upstreamCancellation.Token);
            while (outcome.Error is null)
            {
                // Audio that is ready goes out between tokens, in sentence order; a slow synthesizer never holds a token back.
                if (speech is not null && streaming)
                {
                    while (speech.TryTakeReady(out var spoken))
                    {
                        yield return ChatStreamEvent.ForAudio(spoken);
                    }
                }

                bool more;
                try
                {
                    if (speech is null)
                    {
                        more = await upstream.MoveNextAsync().ConfigureAwait(false);
                    }
                    else
                    {
                        // While speaking, the next token and the next sentence's audio are awaited together.
                        pendingMove ??= upstream.MoveNextAsync().AsTask();
                        if (streaming && !pendingMove.IsCompleted && speech.NextReady is { } ready)
                        {
                            await Task.WhenAny(pendingMove, ready).ConfigureAwait(false);
                            if (!pendingMove.IsCompleted)
                            {
                                continue;
                            }
                        }

                        var move = pendingMove;
                        pendingMove = null;
                        more = await move.ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception) when (stopToken.IsCancellationRequested)
                {
                    outcome.Error = Draining;
                    break;
                }
                catch (ChatStreamErrorException ex)
                {
                    outcome.Error = ex.Error;
                    break;
                }
                catch (Exception ex)
                {
                    // Below the classifying middleware nothing escapes unclassified; this is the pipeline's own failure.
                    outcome.Error = ChatErrors.FromException(ex);
                    Log.UpstreamFailed(_logger, outcome.Error.Code, outcome.Error.Message, ex);
                    break;
                }

                if (!more)
                {
                    outcome.Completed = true;
                    break;
                }

                var update = upstream.Current;
                outcome.Observe(update);
                var text = update.Text;
                if (text.Length == 0)
                {
                    continue;
                }

                outcome.FirstToken ??= _time.GetElapsedTime(chat.StartedTimestamp);
                outcome.Tokens++;
                answer.Append(text);
                speech?.Add(text);
                if (streaming)
                {
                    yield return ChatStreamEvent.ForToken(text);
                }
            }

            if (!outcome.Completed && outcome.Error is null)
            {
                // The caller left: the finally block stores what was sent as interrupted.
                yield break;
            }

            var totalMs = ElapsedMs(chat.StartedTimestamp);
            if (!streaming && answer.Length > 0)
            {
                yield return ChatStreamEvent.ForToken(answer.ToString());
            }

            // Stored before the terminal event, so a follow-up question sent on `done` sees this answer in its history.
            outcome.Stored = true;
            var status = outcome.Completed ? MessageStatus.Complete : outcome.Error == Draining ? MessageStatus.Interrupted : MessageStatus.Failed;
            await PersistAnswerAsync(chat, answer, status, outcome, totalMs, questionStored, question.CreatedAt).ConfigureAwait(false);
            if (outcome.Completed && speech is not null)
            {
                // The rest of the answer is spoken; every sentence's audio goes out before done.
                speech.Complete();
                await foreach (var spoken in speech.DrainAsync().ConfigureAwait(false))
                {
                    yield return ChatStreamEvent.ForAudio(spoken);
                }
            }

            if (outcome.Completed)
            {
                yield return ChatStreamEvent.ForDone(new ChatStreamDone(outcome.FinishReason ?? "stop", outcome.Usage, outcome.FirstTokenMs, totalMs));
            }
            else
            {
                Log.AnswerFailed(_logger, outcome.Error!.Code, query.ChatbotId, chat.Model);
                yield return ChatStreamEvent.ForError(outcome.Error!);
            }
        }
        finally
        {
            // Cancel first, then dispose: a model call still in flight sees the cancellation (and closes its
            // connection) rather than only losing its enumerator.
            await upstreamCancellation.CancelAsync().ConfigureAwait(false);
            if (pendingMove is not null)
            {
                // A token still being awaited (the caller left while audio went out) must finish before the enumerator goes.
                try
                {
                    await pendingMove.ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
                {
                    // Cancelled, as asked.
                }
            }

            if (speech is not null)
            {
                await speech.DisposeAsync().ConfigureAwait(false);
            }

            if (upstream is not null)
            {
                try
                {
                    await upstream.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
                {
                    // The model call is over either way.
                }
            }

            var streamOutcome = outcome.Completed ? StreamOutcome.Succeeded : outcome.Error is not null ? StreamOutcome.Failed : StreamOutcome.ClientAborted;
            _metrics.StreamFinished(query.ChatbotId, chat.Model, streaming, streamOutcome, outcome.Error?.Code, outcome.FirstToken, _time.GetElapsedTime(chat.StartedTimestamp), outcome.Tokens);
            activity?.SetTag(StreamingChatTelemetry.Tags.Outcome, StreamingChatMetrics.OutcomeName(streamOutcome));
            if (outcome.Error is { } error)
            {
                activity?.SetTag(StreamingChatTelemetry.Tags.ErrorType, error.Code);
                activity?.SetStatus(ActivityStatusCode.Error, error.Code);
            }

            if (!outcome.Stored)
            {
                Log.AnswerInterrupted(_logger, query.ChatbotId, answer.Length);
                await PersistAnswerAsync(chat, answer, MessageStatus.Interrupted, outcome, ElapsedMs(chat.StartedTimestamp), questionStored, question.CreatedAt).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The error an answer ends with when the instance stops before it is complete.</summary>
    internal static readonly ChatStreamError Draining = new(ChatErrorCodes.ServerDraining, "The server is restarting; ask again to get a complete answer.", Retryable: true);

    private long ElapsedMs(long start) => (long)_time.GetElapsedTime(start).TotalMilliseconds;

    private async Task PersistAnswerAsync(PreparedChat chat, StringBuilder answer, MessageStatus status, Outcome outcome, long totalMs, Task questionStored, DateTimeOffset askedAt)
    {
        await questionStored.ConfigureAwait(false);

        // Stores keep milliseconds: the answer is at least one later than its question, so history sorts by time alone.
        var now = _time.GetUtcNow();
        var answeredAt = now >= askedAt.AddMilliseconds(1) ? now : askedAt.AddMilliseconds(1);
        await PersistAsync(new ConversationMessage
        {
            MessageId = chat.MessageId,
            SessionId = chat.Query.SessionId,
            ChatbotId = chat.Query.ChatbotId,
            Owner = chat.Query.Owner,
            Role = ConversationRole.Assistant,
            Content = answer.ToString(),
            Status = status,
            CreatedAt = answeredAt,
            Usage = outcome.Usage,
            FirstTokenMs = outcome.FirstTokenMs,
            TotalMs = totalMs,
            Model = chat.Model,
            ErrorCode = outcome.Error?.Code,
        }).ConfigureAwait(false);
    }

    /// <summary>Stores a turn; never throws, never waits longer than the persist timeout, and is not cancelled by the caller leaving.</summary>
    private async Task PersistAsync(ConversationMessage message)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(_options.CurrentValue.PersistTimeoutSeconds), _time);
        try
        {
            await _conversations.AppendAsync([message], timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.PersistFailed(_logger, message.MessageId, message.ChatbotId, ex);
        }
    }

    /// <summary>What the model said about the answer besides its text. A class, so the finally block sees what the loop saw.</summary>
    private sealed class Outcome
    {
        public ChatStreamError? Error;
        public bool Completed;
        public bool Stored;
        public TimeSpan? FirstToken;
        public long Tokens;
        public string? FinishReason;

        public long? FirstTokenMs => FirstToken is { } first ? (long)first.TotalMilliseconds : null;
        public ChatTokenUsage? Usage;

        public void Observe(ChatResponseUpdate update)
        {
            if (update.FinishReason is { } reason)
            {
                FinishReason = reason.Value;
            }

            // Only scan for usage on updates that carry something besides one text piece: the common token update skips the loop.
            var contents = update.Contents;
            if (contents.Count == 1 && contents[0] is TextContent)
            {
                return;
            }

            foreach (var content in contents)
            {
                if (content is UsageContent { Details: var details })
                {
                    Usage = new ChatTokenUsage(details.InputTokenCount, details.OutputTokenCount);
                }
            }
        }
    }
}
