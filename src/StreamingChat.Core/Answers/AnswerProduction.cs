using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace StreamingChat.Core;

/// <summary>
/// What producing an answer needs, in one place: the model (with its middleware), speech, the log, the store (through the
/// outbox), the answers running here, the meters, the clock. <see cref="AnswerProducer"/> takes it, so it reaches into no
/// other type.
/// </summary>
internal sealed class AnswerProduction
{
    public AnswerProduction(
        [FromKeyedServices(StreamingChatBuilder.ChatClientKey)] IChatClient chatClient,
        IConversationStore conversations,
        IAnswerLog log,
        TurnOutbox outbox,
        SpeechSynthesis speech,
        StreamingChatMetrics metrics,
        IEnumerable<IChatErrorClassifier> classifiers,
        ChatTools tools,
        IOptionsMonitor<ChatStreamOptions> options,
        TimeProvider time,
        ILoggerFactory loggerFactory,
        IServiceProvider services,
        ILogger<AnswerProduction> logger)
    {
        // The model call's cross-cutting concerns as middleware, so producing reads top to bottom: every failure classified
        // into an error code (outermost, so a timeout's is too), the first-token and idle limits, and the provider's objects
        // dropped from each update as it passes.
        // Tools run between the classification and the timeouts: a tool's time is its own limit's, never the model's, and
        // every model call of a tool round has its own first-token and idle limits.
        ChatClient = chatClient.AsBuilder()
            .UseErrorClassification([.. classifiers], logger)
            .UseFunctionInvocation(loggerFactory, invocation => ToolInvocation.Configure(invocation, () => options.CurrentValue))
            .UseModelTimeouts(() => options.CurrentValue, time, logger)
            .UseProviderObjectRelease()
            .Build(services);
        Tools = tools;
        DefaultModel = chatClient.GetService<ChatClientMetadata>()?.DefaultModelId ?? "default";
        Conversations = conversations;
        Log = log;
        Outbox = outbox;
        Speech = speech;
        Metrics = metrics;
        Options = options;
        Time = time;
        Logger = logger;
    }

    public IChatClient ChatClient { get; }

    /// <summary>The tools added to the builder, which chatbots pick from.</summary>
    public ChatTools Tools { get; }

    /// <summary>The model asked when a chatbot names none.</summary>
    public string DefaultModel { get; }

    public IConversationStore Conversations { get; }

    public IAnswerLog Log { get; }

    public TurnOutbox Outbox { get; }

    public SpeechSynthesis Speech { get; }

    public StreamingChatMetrics Metrics { get; }

    public IOptionsMonitor<ChatStreamOptions> Options { get; }

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    /// <summary>The answers being produced on this instance.</summary>
    public RunningAnswers Running { get; } = new();

    /// <summary>
    /// Stores a turn, or keeps it in the outbox when the store fails (written once it answers again); never throws, never
    /// waits longer than the persist timeout, and is not cancelled by the caller leaving.
    /// </summary>
    public Task PersistAsync(ConversationMessage message) => Outbox.WriteAsync(message);

    /// <summary>
    /// Builds the prompt of an admitted question: the chatbot's system prompt, the session's recent turns (none, with a
    /// warning, when the store cannot be read: the question is still answered), then the question.
    /// </summary>
    public async Task<PreparedAnswer> PrepareAsync(AnswerAdmission admission, long startedTimestamp, CancellationToken cancellationToken)
    {
        var query = admission.Question;
        var chatbot = admission.Chatbot;
        var options = Options.CurrentValue;
        IReadOnlyList<ConversationMessage> history = [];
        if (options.HistoryTurns > 0)
        {
            try
            {
                history = await Conversations.GetRecentAsync(query.SessionId, query.Owner, options.HistoryTurns * 2, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Core.Log.HistoryUnavailable(Logger, query.ChatbotId, ex);
            }
        }

        var chatOptions = new ChatOptions { ModelId = chatbot.Model, Temperature = chatbot.Temperature, MaxOutputTokens = chatbot.MaxOutputTokens, Tools = await Tools.ForAsync(chatbot, cancellationToken).ConfigureAwait(false) };
        var prompt = query.Approval is { } approval
            ? Prompt.BuildContinuation(chatbot, history, approval, options.MaxHistoryCharacters)
            : Prompt.Build(chatbot, history, query.Query, options.MaxHistoryCharacters);
        return new PreparedAnswer(query, chatbot, prompt, chatOptions, Guid.CreateVersion7().ToString("N"), chatbot.Model ?? DefaultModel, startedTimestamp);
    }
}
