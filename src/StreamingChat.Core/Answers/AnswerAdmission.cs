namespace StreamingChat.Core;

/// <summary>
/// A question let in to be answered, and what it holds while its answer runs: places in the caller's limits, a slot, the
/// drain's count, a budget to charge. The answer owns it (<see cref="IAnswers.StartAsync"/>) and lets go of what it holds
/// when it ends, as an <see cref="HttpClient"/> owns its handler; disposing it lets go of everything still held (a question
/// refused after it was admitted, or never started).
/// </summary>
public sealed class AnswerAdmission : IAsyncDisposable
{
    private readonly List<object> _whileRunning = [];
    private readonly List<object> _untilEnded = [];
    private int _released;
    private int _disposed;

    /// <summary>Admits <paramref name="question"/> for <paramref name="chatbot"/> (read once, by whoever admits it).</summary>
    public AnswerAdmission(ChatQuery question, ChatbotDefinition chatbot)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentNullException.ThrowIfNull(chatbot);
        Question = question;
        Chatbot = chatbot;
    }

    /// <summary>The question, with the session and its owner it was admitted in.</summary>
    public ChatQuery Question { get; }

    /// <summary>The chatbot that answers.</summary>
    public ChatbotDefinition Chatbot { get; }

    /// <summary>Whether tokens are streamed as they come (default true); false: the whole answer in one token event.</summary>
    public bool Streaming { get; init; } = true;

    /// <summary>Cancelled when the answer must end because the instance stops (the drain's time is over): it ends with <c>server_draining</c>.</summary>
    public CancellationToken Deadline { get; init; }

    /// <summary>How the answer ended, once it has: set before what is held is let go (a budget reads the tokens used).</summary>
    public AnswerEnding? Ending { get; private set; }

    /// <summary>
    /// Holds <paramref name="resource"/> while the answer runs: it is let go once the answer is stored and before its
    /// terminal event is logged, so a question sent on <c>done</c> finds it free. Let go last held, first.
    /// </summary>
    public AnswerAdmission HoldWhileRunning(IDisposable resource) => Add(_whileRunning, resource);

    /// <inheritdoc cref="HoldWhileRunning(IDisposable)"/>
    public AnswerAdmission HoldWhileRunning(IAsyncDisposable resource) => Add(_whileRunning, resource);

    /// <summary>Holds <paramref name="resource"/> until the answer's terminal event is logged (the drain waits for it).</summary>
    public AnswerAdmission HoldUntilEnded(IDisposable resource) => Add(_untilEnded, resource);

    /// <summary>Lets go of what is held while running, once, after recording how the answer ended.</summary>
    internal async ValueTask EndingAsync(AnswerEnding ending)
    {
        Ending ??= ending;
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            await ReleaseAsync(_whileRunning).ConfigureAwait(false);
        }
    }

    /// <summary>Lets go of everything still held.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            await ReleaseAsync(_whileRunning).ConfigureAwait(false);
        }

        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await ReleaseAsync(_untilEnded).ConfigureAwait(false);
        }
    }

    private AnswerAdmission Add(List<object> held, object resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        lock (held)
        {
            held.Add(resource);
        }

        return this;
    }

    private static async ValueTask ReleaseAsync(List<object> held)
    {
        object[] resources;
        lock (held)
        {
            resources = [.. held];
            held.Clear();
        }

        List<Exception>? failures = null;
        for (var i = resources.Length - 1; i >= 0; i--)
        {
            try
            {
                switch (resources[i])
                {
                    case IAsyncDisposable asyncResource:
                        await asyncResource.DisposeAsync().ConfigureAwait(false);
                        break;
                    case IDisposable resource:
                        resource.Dispose();
                        break;
                }
            }
            catch (Exception ex)
            {
                (failures ??= []).Add(ex);
            }
        }

        if (failures is not null)
        {
            throw new AggregateException("Letting go of what the answer held failed.", failures);
        }
    }
}
