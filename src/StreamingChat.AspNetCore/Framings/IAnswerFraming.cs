using System.Buffers;
using Microsoft.AspNetCore.Http;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>
/// A wire format for an answer's events: it turns events into bytes, nothing more. Flushing, heartbeats, the drain and
/// disconnects are the relay's (<see cref="AnswerRelay"/>). One instance serves one response, so a format that must
/// remember what it wrote (a message opened, a retry hint sent) keeps that here.
/// </summary>
internal interface IAnswerFraming : IDisposable
{
    /// <summary>Sets the response's status and the headers the format needs, before the first byte.</summary>
    void ApplyHeaders(HttpResponse response);

    /// <summary>Writes one event, numbered <paramref name="id"/> in the answer's log.</summary>
    void WriteEvent(IBufferWriter<byte> output, long id, in AnswerEvent streamEvent);

    /// <summary>Writes what keeps an idle connection open through proxies; nothing a client would take for an event.</summary>
    void WriteHeartbeat(IBufferWriter<byte> output);
}
