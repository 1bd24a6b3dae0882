using System.Buffers;
using Microsoft.AspNetCore.Http;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>
/// A wire format for an answer's events: it turns events into bytes, nothing more. Reading the answer's log, flushing each
/// batch, heartbeats after silence, the drain and a caller who leaves are the relay's, written once for every format. A team
/// adds a format in one class of its own and maps it with <c>MapAnswerStream&lt;TFraming&gt;()</c> (reading and resuming
/// answers) and <c>MapQuestionStream&lt;TFraming&gt;()</c> (asking). One instance serves one response (it is made for it
/// from the request's services), so a format that must remember what it wrote (a message opened, a hint sent) keeps that
/// here.
/// </summary>
/// <remarks>
/// Every <see cref="AnswerEventKind"/> must be written explicitly: a format that meets a kind it does not know throws
/// rather than guess (the test suite writes every kind through every framing).
/// </remarks>
public abstract class AnswerFraming : IDisposable
{
    /// <summary>
    /// Sets the response's status and the headers the format needs, before the first byte. The default: <c>200</c>,
    /// <c>text/event-stream</c>, no caching, and <c>X-Accel-Buffering: no</c> so that no proxy holds an event back.
    /// </summary>
    /// <param name="response">The response, not started yet.</param>
    public virtual void ApplyHeaders(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
    }

    /// <summary>Writes one event, numbered <paramref name="id"/> in the answer's log (0 is <c>start</c>).</summary>
    /// <param name="output">Where the bytes go; flushed by the relay after the batch.</param>
    /// <param name="id">The event's id.</param>
    /// <param name="answerEvent">The event.</param>
    public abstract void WriteEvent(IBufferWriter<byte> output, long id, in AnswerEvent answerEvent);

    /// <summary>
    /// Writes what keeps an idle connection open through proxies, after <c>StreamingChat:Chat:HeartbeatSeconds</c> of
    /// silence: nothing a client would take for an event. The default writes nothing.
    /// </summary>
    /// <param name="output">Where the bytes go.</param>
    public virtual void WriteHeartbeat(IBufferWriter<byte> output)
    {
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Lets go of what the format holds (a reused JSON writer, say).</summary>
    /// <param name="disposing">True when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>Throws for an event kind the format does not know, rather than guess how to write it.</summary>
    /// <param name="kind">The kind met.</param>
    /// <returns>Never.</returns>
    protected static Exception Unknown(AnswerEventKind kind)
        => new ArgumentOutOfRangeException(nameof(kind), kind, "An event kind this framing does not know; every kind must be written explicitly.");
}
