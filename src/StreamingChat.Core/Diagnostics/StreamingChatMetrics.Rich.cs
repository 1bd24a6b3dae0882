namespace StreamingChat.Core;

/// <summary>What answers hold besides text, counted: tool calls, reasoning, and the ratings people give.</summary>
public sealed partial class StreamingChatMetrics
{
    /// <summary>Tool calls and answers with reasoning since this instance started.</summary>
    public RichTotals RichTotals => new(Volatile.Read(ref _totalToolCalls), Volatile.Read(ref _totalToolFailures), Volatile.Read(ref _totalReasoningAnswers));

    /// <summary>Counts a tool call that ended: its result, or its failure (an error, a time-out, a denial, an unknown tool).</summary>
    /// <param name="toolName">The tool.</param>
    /// <param name="failed">Whether it gave no output.</param>
    public void ToolCalled(string toolName, bool failed)
    {
        Interlocked.Increment(ref _totalToolCalls);
        if (failed)
        {
            Interlocked.Increment(ref _totalToolFailures);
        }

        _toolCalls.Add(1, new(StreamingChatTelemetry.Tags.ToolName, toolName), new(StreamingChatTelemetry.Tags.Outcome, failed ? "failed" : "succeeded"));
    }

    /// <summary>Counts a rating given to an answer of <paramref name="chatbotId"/> (a replaced rating is counted again).</summary>
    /// <param name="chatbotId">The chatbot that answered.</param>
    /// <param name="rating"><see cref="AnswerFeedback.Up"/> or <see cref="AnswerFeedback.Down"/>.</param>
    public void Rated(string chatbotId, string rating)
    {
        var down = rating == AnswerFeedback.Down;
        Interlocked.Increment(ref _feedbackByChatbot.GetOrAdd(chatbotId, static _ => new long[2])[down ? 1 : 0]);
        _feedback.Add(1, new(StreamingChatTelemetry.Tags.ChatbotId, chatbotId), new(StreamingChatTelemetry.Tags.Rating, down ? AnswerFeedback.Down : AnswerFeedback.Up));
    }

    /// <summary>Ratings since this instance started, by chatbot: (up, down).</summary>
    public IReadOnlyDictionary<string, (long Up, long Down)> ReadFeedback()
        => _feedbackByChatbot.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => (Volatile.Read(ref p.Value[0]), Volatile.Read(ref p.Value[1])), StringComparer.Ordinal);

    /// <summary>Counts an answer in which the model reasoned (once per answer).</summary>
    public void Reasoned()
    {
        Interlocked.Increment(ref _totalReasoningAnswers);
        _reasoningAnswers.Add(1);
    }
}

/// <summary>Tool calls and reasoning since an instance started.</summary>
/// <param name="ToolCalls">Tool calls that ended.</param>
/// <param name="ToolFailures">Of those, the ones that gave no output.</param>
/// <param name="ReasoningAnswers">Answers in which the model reasoned.</param>
public sealed record RichTotals(long ToolCalls, long ToolFailures, long ReasoningAnswers);
