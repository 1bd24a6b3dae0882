using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

public static partial class StreamingChatResults
{
    /// <summary>
    /// Relays <paramref name="events"/> as Server-Sent Events the way StreamingChat relays an answer: each event flushed as
    /// soon as it is produced, numbered <c>id: 0</c>, <c>1</c>, … in the order produced, the <c>retry:</c> hint in the first
    /// event's block, a heartbeat comment after <c>StreamingChat:Chat:HeartbeatSeconds</c> of silence, headers that keep
    /// proxies from buffering, and the drain: refused with 503 <c>server_draining</c> while the instance drains, counted among
    /// the streams a drain waits for, and ended when the drain's time is up.
    /// </summary>
    /// <typeparam name="T">The events' type: a <see cref="string"/> is sent as it is (one <c>data:</c> line per line), anything
    /// else as JSON with the application's <c>Microsoft.AspNetCore.Http.Json.JsonOptions</c>.</typeparam>
    /// <param name="events">The events; enumerated once, with a token cancelled when the caller leaves or the drain ends.</param>
    /// <param name="eventType">The <c>event:</c> name of every event; null sends none (a client sees <c>message</c>).</param>
    /// <returns>The result to return from an endpoint.</returns>
    public static IResult ServerSentEvents<T>(IAsyncEnumerable<T> events, string? eventType = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        return new EventStreamResult<T>(Items(events, eventType));
    }

    /// <summary>
    /// Relays <paramref name="events"/> as Server-Sent Events as <see cref="ServerSentEvents{T}(IAsyncEnumerable{T}, string?)"/>
    /// does, each with its own <see cref="SseItem{T}.EventType"/>, and its own <see cref="SseItem{T}.EventId"/> and
    /// <see cref="SseItem{T}.ReconnectionInterval"/> where set (an event without an id gets its number).
    /// </summary>
    /// <typeparam name="T">The events' data type, sent as the other overload sends it.</typeparam>
    /// <param name="events">The events; enumerated once, with a token cancelled when the caller leaves or the drain ends.</param>
    /// <returns>The result to return from an endpoint.</returns>
    public static IResult ServerSentEvents<T>(IAsyncEnumerable<SseItem<T>> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        return new EventStreamResult<T>(events);
    }

    /// <summary>
    /// Relays a StreamingChat answer (<see cref="IAnswers.StartAsync"/>) as the stream endpoint does: the events of the
    /// HTTP contract (<c>start</c>, <c>token</c>, <c>audio</c>, then <c>done</c> or <c>error</c>) from its log, with
    /// heartbeats and flushing per event. A request with <c>Last-Event-ID</c> gets the events after that one, so the same
    /// endpoint resumes a cut stream. While the relay reads, the answer counts it as a reader; the answer ends with
    /// <c>server_draining</c> when the drain's time is up.
    /// </summary>
    /// <param name="answer">The answer just started.</param>
    /// <returns>The result to return from an endpoint.</returns>
    public static IResult Answer(AnswerInfo answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return new AnswerResult(answer.MessageId, ended: null);
    }

    /// <summary>
    /// Relays an answer found in the answer log (<see cref="IAnswers.GetAsync"/>), running or ended, as
    /// <see cref="Answer(AnswerInfo)"/> does: from after the request's <c>Last-Event-ID</c>, and <c>204</c> when the caller
    /// already has its terminal event. With <c>AddRedis()</c> the log is shared, so any instance resumes any answer.
    /// Whose answer it is stays the endpoint's to check.
    /// </summary>
    /// <param name="answer">The answer as the log has it.</param>
    /// <returns>The result to return from an endpoint.</returns>
    public static IResult Answer(AnswerState answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return new AnswerResult(answer.Info.MessageId, answer);
    }

    private static async IAsyncEnumerable<SseItem<T>> Items<T>(IAsyncEnumerable<T> events, string? eventType, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var item in events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return new SseItem<T>(item, eventType);
        }
    }
}
