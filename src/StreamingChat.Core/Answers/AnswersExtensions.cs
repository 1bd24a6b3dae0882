namespace StreamingChat.Core;

/// <summary>Shorthands over <see cref="IAnswers"/>.</summary>
public static class AnswersExtensions
{
    /// <summary>
    /// The answer's events from id <paramref name="fromId"/> on, live until the terminal one; none when the answer is
    /// unknown or has expired. Attach a reader (<see cref="IAnswers.AttachReader"/>) for as long as the answer must run on.
    /// </summary>
    public static IAsyncEnumerable<AnswerEvent> ReadEventsAsync(this IAnswers answers, string messageId, long fromId = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(answers);
        return AnswerLogExtensions.ReadEventsAsync(answers.ReadAsync, messageId, fromId, cancellationToken);
    }

    /// <summary>The text the answer's token events hold now: the whole answer once it has ended.</summary>
    public static Task<string> ReadTextAsync(this IAnswers answers, string messageId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(answers);
        return AnswerLogExtensions.ReadTextAsync(answers.ReadAsync, messageId, cancellationToken);
    }
}
