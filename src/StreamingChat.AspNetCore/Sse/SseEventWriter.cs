using System.Buffers;
using System.IO.Pipelines;
using System.Text.Encodings.Web;
using System.Text.Json;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>
/// Writes an answer's events as Server-Sent Events; no event waits in a buffer while the writer waits for the next.
/// </summary>
/// <remarks>
/// Our own writer rather than <c>System.Net.ServerSentEvents.SseFormatter</c>: that formatter cannot write comment
/// lines (our heartbeats), and its flushing per event has changed between versions, while a token must never wait in
/// a buffer. Frames go straight into the response's <see cref="PipeWriter"/> through one reused
/// <see cref="Utf8JsonWriter"/>, so a token event allocates nothing beyond the token's own text.
/// The framing follows API.md exactly: <c>retry:</c> shares the first event's block, and heartbeats are a comment
/// line with no blank line after it, because widely used clients turn every blank line into a message.
/// </remarks>
internal sealed class SseEventWriter : IAsyncDisposable
{
    private static readonly JsonWriterOptions JsonOptions = new()
    {
        // Relaxed escaping is safe here: the data goes into an event stream, not into HTML, and JSON escaping
        // still turns CR and LF into \r and \n, so no data line can break the framing.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    private readonly PipeWriter _output;
    private readonly Utf8JsonWriter _json;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeProvider _time;
    private readonly TimeSpan _heartbeat;
    private readonly ITimer? _heartbeatTimer;
    private long _lastWrite;
    private long _nextId;
    private int _retryMs;
    private bool _closed;

    public SseEventWriter(PipeWriter output, TimeSpan heartbeat, int retryMs, TimeProvider timeProvider)
    {
        _output = output;
        _json = new Utf8JsonWriter(output, JsonOptions);
        _time = timeProvider;
        _heartbeat = heartbeat;
        _retryMs = retryMs;
        _lastWrite = timeProvider.GetTimestamp();
        if (heartbeat > TimeSpan.Zero)
        {
            _heartbeatTimer = timeProvider.CreateTimer(static s => ((SseEventWriter)s!).OnHeartbeatTimer(), this, heartbeat, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Writes and flushes one event. False when the caller has gone and nothing more can be written.</summary>
    public ValueTask<bool> WriteAsync(ChatStreamEvent streamEvent, CancellationToken cancellationToken) => WriteAsync(streamEvent, flush: true, cancellationToken);

    /// <summary>
    /// Writes one event, flushing it unless <paramref name="flush"/> is false: the caller passes false only when the
    /// next event is ready already and will be written at once, so events ready together go out in one write and none
    /// waits in the buffer. The terminal event is always flushed. False when the caller has gone.
    /// </summary>
    public async ValueTask<bool> WriteAsync(ChatStreamEvent streamEvent, bool flush, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_closed)
            {
                return false;
            }

            WriteEvent(_output, _json, _nextId++, streamEvent, _retryMs);
            _retryMs = -1;
            if (streamEvent.IsTerminal)
            {
                // Nothing, not even a heartbeat, follows the terminal event.
                _closed = true;
                flush = true;
            }

            return !flush || await FlushCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            _closed = true;
            return false;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async ValueTask<bool> FlushCoreAsync(CancellationToken cancellationToken)
    {
        var flushed = await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
        _lastWrite = _time.GetTimestamp();
        if (flushed.IsCompleted || flushed.IsCanceled)
        {
            _closed = true;
            return false;
        }

        return true;
    }

    /// <summary>
    /// Frames one event into <paramref name="output"/>: <c>retry:</c> when <paramref name="retryMs"/> is not negative,
    /// then <c>id:</c>, <c>event:</c> and one <c>data:</c> line of JSON, then the blank line that ends the event.
    /// </summary>
    internal static void WriteEvent(IBufferWriter<byte> output, Utf8JsonWriter json, long id, in ChatStreamEvent streamEvent, int retryMs = -1)
    {
        if (retryMs >= 0)
        {
            output.Write("retry: "u8);
            WriteNumber(output, retryMs);
            output.Write("\n"u8);
        }

        output.Write("id: "u8);
        WriteNumber(output, id);
        output.Write(streamEvent.Kind switch
        {
            ChatStreamEventKind.Token => "\nevent: token\ndata: "u8,
            ChatStreamEventKind.Start => "\nevent: start\ndata: "u8,
            ChatStreamEventKind.Done => "\nevent: done\ndata: "u8,
            ChatStreamEventKind.Audio => "\nevent: audio\ndata: "u8,
            _ => "\nevent: error\ndata: "u8,
        });

        json.Reset(output);
        WriteData(json, streamEvent);
        json.Flush();
        output.Write("\n\n"u8);
    }

    private static void WriteData(Utf8JsonWriter json, in ChatStreamEvent e)
    {
        json.WriteStartObject();
        switch (e.Kind)
        {
            case ChatStreamEventKind.Token:
                json.WriteString("text"u8, e.Text);
                break;
            case ChatStreamEventKind.Start:
                var start = e.Start!;
                json.WriteString("messageId"u8, start.MessageId);
                json.WriteString("sessionId"u8, start.SessionId);
                json.WriteString("chatbotId"u8, start.ChatbotId);
                json.WriteString("model"u8, start.Model);
                json.WriteBoolean("streaming"u8, start.Streaming);
                if (start.SessionKey is not null)
                {
                    json.WriteString("sessionKey"u8, start.SessionKey);
                }

                break;
            case ChatStreamEventKind.Done:
                var done = e.Done!;
                json.WriteString("finishReason"u8, done.FinishReason);
                json.WritePropertyName("usage"u8);
                ChatJson.WriteUsage(json, done.Usage);
                ChatJson.WriteNullableNumber(json, "firstTokenMs"u8, done.FirstTokenMs);
                json.WriteNumber("totalMs"u8, done.TotalMs);
                break;
            case ChatStreamEventKind.Audio:
                var audio = e.Audio!;
                json.WriteNumber("seq"u8, audio.Seq);
                json.WriteString("text"u8, audio.Text);
                json.WriteString("format"u8, audio.Format);
                if (audio.Error is null)
                {
                    json.WriteBase64String("data"u8, audio.Data.Span);
                }
                else
                {
                    json.WriteString("error"u8, audio.Error);
                }

                break;
            case ChatStreamEventKind.Error:
                var error = e.Error!;
                json.WriteString("code"u8, error.Code);
                json.WriteString("message"u8, error.Message);
                json.WriteBoolean("retryable"u8, error.Retryable);
                break;
        }

        json.WriteEndObject();
    }

    private static void WriteNumber(IBufferWriter<byte> output, long value)
    {
        var span = output.GetSpan(20);
        value.TryFormat(span, out var written, provider: System.Globalization.CultureInfo.InvariantCulture);
        output.Advance(written);
    }

    private void OnHeartbeatTimer() => _ = HeartbeatAsync();

    private async Task HeartbeatAsync()
    {
        var due = _heartbeat;
        if (_gate.Wait(0))
        {
            try
            {
                if (_closed)
                {
                    return;
                }

                var silence = _time.GetElapsedTime(_lastWrite);
                if (silence >= _heartbeat)
                {
                    // A comment line, not followed by a blank line (API.md).
                    _output.Write(": keep-alive\n"u8);
                    var flushed = await _output.FlushAsync().ConfigureAwait(false);
                    _lastWrite = _time.GetTimestamp();
                    _closed |= flushed.IsCompleted || flushed.IsCanceled;
                }
                else
                {
                    due = _heartbeat - silence;
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
                _closed = true;
                return;
            }
            finally
            {
                _gate.Release();
            }
        }

        try
        {
            _heartbeatTimer?.Change(due, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_heartbeatTimer is not null)
        {
            await _heartbeatTimer.DisposeAsync().ConfigureAwait(false);
        }

        // Waits for a heartbeat that is being written, then keeps every later one out.
        await _gate.WaitAsync().ConfigureAwait(false);
        _closed = true;
        _gate.Release();
        await _json.DisposeAsync().ConfigureAwait(false);
    }
}
