using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StreamingChat.Testing;

namespace StreamingChat.Core.Tests;

/// <summary>
/// The answers (<see cref="AnswerService"/>) built by hand over a test's parts, as DI builds them, with the steps a test
/// takes: admit a question for its chatbot (read from the store, as the web package's admission reads it), start it, read it.
/// </summary>
internal sealed class TestAnswers
{
    private readonly IChatbotStore _chatbots;

    public TestAnswers(
        IChatClient model,
        IChatbotStore chatbots,
        IConversationStore conversations,
        IOptionsMonitor<ChatStreamOptions> options,
        IEnumerable<IChatErrorClassifier> classifiers,
        StreamingChatMetrics metrics,
        TimeProvider time,
        ILogger? logger = null,
        SpeechSynthesis? speech = null,
        IAnswerLog? log = null,
        IEnumerable<AIFunction>? tools = null,
        IServiceProvider? services = null)
    {
        _chatbots = chatbots;
        Answers = log ?? new InMemoryAnswerLog(new AnswerOptions(), time);
        var outbox = new TurnOutbox(conversations, options, time, logger ?? NullLogger.Instance);
        Production = new AnswerProduction(
            model,
            conversations,
            Answers,
            outbox,
            speech ?? new SpeechSynthesis(null, new StaticOptionsMonitor<SpeechOptions>(new SpeechOptions()), metrics, NullLogger<SpeechSynthesis>.Instance),
            metrics,
            classifiers,
            new ChatTools((tools ?? []).Select(tool => new ChatToolRegistration(tool)), NullLogger<ChatTools>.Instance),
            options,
            time,
            NullLoggerFactory.Instance,
            services ?? EmptyServices.Instance,
            NullLogger<AnswerProduction>.Instance);
        Service = new AnswerService(Production, new StaticOptionsMonitor<AnswerOptions>(new AnswerOptions()));
    }

    public AnswerProduction Production { get; }

    public AnswerService Service { get; }

    /// <summary>The log the answers go into.</summary>
    public IAnswerLog Answers { get; }

    /// <summary>The answers running here.</summary>
    public RunningAnswers Running => Production.Running;

    /// <summary>The question admitted for its chatbot; null when no enabled chatbot has its id.</summary>
    public async Task<Question?> PrepareAsync(ChatQuery query, CancellationToken cancellationToken = default)
        => await _chatbots.GetAsync(query.ChatbotId, cancellationToken) is { Enabled: true } chatbot ? new Question(query, chatbot) : null;

    /// <summary>Starts answering; <paramref name="ending"/> is called as the answer lets go of what it held.</summary>
    public async Task<RunningAnswer> StartAsync(Question question, bool streaming, CancellationToken deadline = default, Func<AnswerEnding, ValueTask>? ending = null)
    {
        var admission = new AnswerAdmission(question.Query, question.Chatbot) { Streaming = streaming, Deadline = deadline };
        if (ending is not null)
        {
            admission.HoldWhileRunning(new Ending(admission, ending));
        }

        var answer = await Service.StartRunningAsync(admission);
        question.MessageId = answer.MessageId;
        return answer;
    }

    /// <summary>Answers and reads as one reader, from id 0 to the terminal event.</summary>
    public IAsyncEnumerable<AnswerEvent> StreamAsync(Question question, bool streaming, CancellationToken cancellationToken = default)
        => StreamAsync(question, streaming, CancellationToken.None, cancellationToken);

    /// <summary>Answers and reads as one reader; cancelling <paramref name="deadline"/> ends the answer with <c>server_draining</c>.</summary>
    public async IAsyncEnumerable<AnswerEvent> StreamAsync(Question question, bool streaming, CancellationToken deadline, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var answer = await StartAsync(question, streaming, deadline);
        using var reader = answer.AttachReader();
        await foreach (var streamEvent in Answers.ReadEventsAsync(answer.MessageId, 0, cancellationToken))
        {
            yield return streamEvent;
        }
    }

    /// <summary>An admitted question, and the id of its answer once started.</summary>
    internal sealed class Question(ChatQuery query, ChatbotDefinition chatbot)
    {
        public ChatQuery Query { get; } = query;

        public ChatbotDefinition Chatbot { get; } = chatbot;

        public string MessageId { get; set; } = "";
    }

    private sealed class Ending(AnswerAdmission admission, Func<AnswerEnding, ValueTask> ending) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ending(admission.Ending!);
    }
}

/// <summary>A service provider with nothing in it, for the tools' invocation when a test gives none.</summary>
internal sealed class EmptyServices : IServiceProvider
{
    public static readonly EmptyServices Instance = new();

    public object? GetService(Type serviceType) => null;
}
