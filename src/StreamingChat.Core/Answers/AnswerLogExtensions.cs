using System.Runtime.CompilerServices;
using System.Text;

namespace StreamingChat.Core;

/// <summary>Shorthands over <see cref="IAnswerLog"/>.</summary>
public static class AnswerLogExtensions
{
    /// <summary>
    /// The answer's events from id <paramref name="fromId"/> on, live until the terminal one; none when the answer is
    /// unknown or has expired.
    /// </summary>
    public static IAsyncEnumerable<AnswerEvent> ReadEventsAsync(this IAnswerLog log, string messageId, long fromId = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        return ReadEventsAsync(log.ReadAsync, messageId, fromId, cancellationToken);
    }

    /// <summary>The text the answer's token events hold now: the whole answer once it has ended.</summary>
    public static Task<string> ReadTextAsync(this IAnswerLog log, string messageId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        return ReadTextAsync(log.ReadAsync, messageId, cancellationToken);
    }

    internal delegate ValueTask<AnswerRead> Reader(string messageId, long fromId, List<AnswerEvent> events, CancellationToken cancellationToken);

    internal static async IAsyncEnumerable<AnswerEvent> ReadEventsAsync(Reader read, string messageId, long fromId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var events = new List<AnswerEvent>();
        while (await read(messageId, fromId, events, cancellationToken).ConfigureAwait(false) == AnswerRead.Events)
        {
            fromId += events.Count;
            foreach (var streamEvent in events)
            {
                yield return streamEvent;
            }

            if (events[^1].IsTerminal)
            {
                yield break;
            }

            events.Clear();
        }
    }

    internal static async Task<string> ReadTextAsync(Reader read, string messageId, CancellationToken cancellationToken)
    {
        var events = new List<AnswerEvent>();
        if (await read(messageId, 0, events, cancellationToken).ConfigureAwait(false) != AnswerRead.Events)
        {
            return "";
        }

        var text = new StringBuilder();
        foreach (var streamEvent in events)
        {
            if (streamEvent.Kind == AnswerEventKind.Token)
            {
                text.Append(streamEvent.Text);
            }
        }

        return text.ToString();
    }
}
