using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace StreamingChat.Core;

/// <summary>
/// Answers questions: prepares one (its chatbot, the session's recent history, the prompt), then starts its answer,
/// detached from any request, into the answer log: <c>start</c>, <c>token</c>…, then exactly one <c>done</c> or
/// <c>error</c>, the question and the answer stored (<c>complete</c>, <c>interrupted</c>, <c>failed</c> or
/// <c>stopped</c>) before the terminal event. The model call's own concerns are middleware (<c>ChatClients/</c>); one
/// answer's production is <c>AnswerProducer</c>.
/// </summary>
public sealed partial class ChatPipeline
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
    private readonly TurnOutbox _outbox;

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
        SpeechSynthesis? speech = null,
        IAnswerLog? answers = null,
        TurnOutbox? outbox = null)
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
        Answers = answers ?? new InMemoryAnswerLog(new AnswerOptions(), timeProvider);
        _outbox = outbox ?? new TurnOutbox(conversations, options, timeProvider, logger);
        if (Answers is ISharedAnswerLog shared)
        {
            ConnectShared(shared);
        }
    }

    /// <summary>Where answers' events are logged, to be read from any position.</summary>
    public IAnswerLog Answers { get; }

    /// <summary>The answers running on this instance.</summary>
    public RunningAnswers Running { get; } = new();

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
    /// Starts answering <paramref name="chat"/>, detached from the caller: the answer runs until the model finishes, it is
    /// stopped (<see cref="RunningAnswer.StopAsync"/>), <paramref name="deadline"/> is cancelled (the instance's drain time is
    /// over: it ends with <c>server_draining</c>), or no reader has been attached for
    /// <see cref="ChatStreamOptions.DisconnectGraceSeconds"/> (it ends with <c>answer_lost</c>). Its events go into
    /// <see cref="Answers"/>, the <c>start</c> event (id 0) there already when this returns; read them with
    /// <see cref="IAnswerLog.ReadAsync"/> after <see cref="RunningAnswer.AttachReader"/>. With <paramref name="streaming"/>
    /// false the same events come, but the whole answer is in one <c>token</c> event written when it is complete.
    /// </summary>
    /// <param name="chat">The prepared question.</param>
    /// <param name="streaming">Whether tokens are streamed as they come.</param>
    /// <param name="deadline">Cancelled when the answer must end because the instance stops.</param>
    /// <param name="ending">
    /// Called once the answer is stored and before its terminal event is logged, so what it does (release a slot, charge a
    /// budget) is done before a reader can act on the terminal event.
    /// </param>
    public async Task<RunningAnswer> StartAsync(PreparedChat chat, bool streaming, CancellationToken deadline = default, Func<AnswerEnding, ValueTask>? ending = null)
    {
        ArgumentNullException.ThrowIfNull(chat);
        var query = chat.Query;
        var info = new AnswerInfo(chat.MessageId, query.SessionId, query.ChatbotId, query.Owner, query.Query, streaming, _time.GetUtcNow());
        await Answers.CreateAsync(info).ConfigureAwait(false);
        var answer = new RunningAnswer(info, deadline, TimeSpan.FromSeconds(_options.CurrentValue.DisconnectGraceSeconds), _time, _readElsewhere);
        var producer = new AnswerProducer(this, chat, answer, ending);
        Running.Add(answer);
        _metrics.StreamStarted(query.ChatbotId, chat.Model, streaming);
        await producer.BeginAsync().ConfigureAwait(false);

        // Started here, not queued to the thread pool: the model call is sent before this returns (the producer runs on
        // until its first wait, the model's answer), so a busy pool never delays the first token.
        _ = producer.RunAsync();
        return answer;
    }

    /// <summary>
    /// Answers <paramref name="chat"/> and reads its events as one reader: <see cref="StartAsync"/>, then the log from
    /// id 0 to the terminal event. Cancelling <paramref name="cancellationToken"/> leaves the answer, which ends (stored as
    /// <see cref="MessageStatus.Interrupted"/>) when no reader comes back within the grace time.
    /// </summary>
    public IAsyncEnumerable<AnswerEvent> StreamAsync(PreparedChat chat, bool streaming, CancellationToken cancellationToken = default)
        => StreamAsync(chat, streaming, CancellationToken.None, cancellationToken);

    /// <summary>
    /// Answers and reads as <see cref="StreamAsync(PreparedChat, bool, CancellationToken)"/> does; cancelling
    /// <paramref name="deadline"/> (the instance is stopping and its drain time is over) ends the answer with an
    /// <c>error</c> event of code <c>server_draining</c>, what was said stored as <see cref="MessageStatus.Interrupted"/>.
    /// </summary>
    internal async IAsyncEnumerable<AnswerEvent> StreamAsync(PreparedChat chat, bool streaming, CancellationToken deadline, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var answer = await StartAsync(chat, streaming, deadline).ConfigureAwait(false);
        using var reader = answer.AttachReader();
        await foreach (var streamEvent in Answers.ReadEventsAsync(answer.MessageId, 0, cancellationToken).ConfigureAwait(false))
        {
            yield return streamEvent;
        }
    }

    /// <summary>The error an answer ends with when the instance stops before it is complete.</summary>
    internal static readonly AnswerError Draining = new(ChatErrorCodes.ServerDraining, "The server is restarting; ask again to get a complete answer.", Retryable: true);

    /// <summary>The error an answer ends with when no reader stayed for it.</summary>
    public static readonly AnswerError NoReader = new(ChatErrorCodes.AnswerLost, "No reader stayed for the answer, so it was not finished; ask again.", Retryable: true);

    internal IChatClient ChatClient => _chatClient;

    internal SpeechSynthesis? Speech => _speech;

    internal TimeProvider Time => _time;

    internal StreamingChatMetrics Metrics => _metrics;

    internal ILogger Logger => _logger;

    /// <summary>
    /// Erases what this service keeps of a session besides its stored turns, on every instance: its answers' logs and
    /// pointers (<see cref="IAnswerLog.EraseSessionAsync"/>), and its turns waiting in the outbox (and their copies), which
    /// are refused from now on. Stop its running answer first; delete its stored turns after.
    /// </summary>
    public async Task EraseSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        _outbox.EraseSession(sessionId);
        await Answers.EraseSessionAsync(sessionId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stores a turn, or keeps it in the outbox when the store fails (written once it answers again); never throws, never
    /// waits longer than the persist timeout, and is not cancelled by the caller leaving.
    /// </summary>
    internal Task PersistAsync(ConversationMessage message) => _outbox.WriteAsync(message);

}
