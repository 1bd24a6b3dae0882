using System.Buffers;
using System.Globalization;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>
/// An application's own events relayed through the answer's output (<see cref="AnswerOutput"/>: one flush per event,
/// heartbeats, nothing after the end) with <see cref="SseFraming"/>'s headers and heartbeat. Framed here rather than by
/// <c>System.Net.ServerSentEvents.SseFormatter</c> for the reasons <see cref="SseFraming"/> gives: the heartbeats are comment
/// lines the formatter cannot write, and every event must leave in its own flush.
/// </summary>
internal sealed class EventStreamResult<T>(IAsyncEnumerable<SseItem<T>> events) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var services = httpContext.RequestServices;
        var drain = services.GetService<StreamingChatDrain>();
        if (drain is { IsDraining: true })
        {
            var retryAfter = services.GetService<IOptions<DrainOptions>>()?.Value.RetryAfterSeconds ?? 5;
            httpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
            await ChatProblems.Problem(StatusCodes.Status503ServiceUnavailable, ChatErrorCodes.ServerDraining, "The server is restarting.", "This instance is draining; ask again (another instance will answer).")
                .ExecuteAsync(httpContext).ConfigureAwait(false);
            return;
        }

        var options = services.GetService<IOptionsMonitor<EventStreamOptions>>()?.CurrentValue ?? new EventStreamOptions();
        var json = services.GetService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>()?.Value.SerializerOptions ?? JsonSerializerOptions.Web;
        using var tracked = drain?.TrackAnswer();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(httpContext.RequestAborted, drain?.Deadline ?? CancellationToken.None);
        var framing = new SseFraming(options.RetryMilliseconds);
        framing.ApplyHeaders(httpContext.Response);
        httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        var output = new AnswerOutput(httpContext.Response.BodyWriter, framing, TimeSpan.FromSeconds(options.HeartbeatSeconds), services.GetService<TimeProvider>() ?? TimeProvider.System);
        await using (output.ConfigureAwait(false))
        {
            // The headers go out at once, so a client knows the stream is open before the first event is made.
            await httpContext.Response.BodyWriter.FlushAsync(stop.Token).ConfigureAwait(false);
            var frame = new Frame(json, options.RetryMilliseconds);
            try
            {
                await foreach (var item in events.WithCancellation(stop.Token).ConfigureAwait(false))
                {
                    frame.Item = item;
                    if (!await output.WriteFramesAsync(frame, static (writer, f) => f.Write(writer), stop.Token).ConfigureAwait(false))
                    {
                        return;
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The caller left, or the drain's time is up: the stream ends here.
            }
        }
    }

    /// <summary>Frames one item: <c>retry:</c> (the first time, or the item's own), <c>event:</c>, <c>data:</c> and <c>id:</c> lines, blank line.</summary>
    private sealed class Frame(JsonSerializerOptions json, int retryMs)
    {
        private long _next;
        private int _retryMs = retryMs;

        public SseItem<T> Item { get; set; }

        public bool Write(IBufferWriter<byte> output)
        {
            var retry = Item.ReconnectionInterval is { } interval ? (int)interval.TotalMilliseconds : _retryMs;
            _retryMs = -1;
            if (retry >= 0)
            {
                Line(output, "retry: "u8, retry.ToString(CultureInfo.InvariantCulture));
            }

            if (Item.EventType is { Length: > 0 } type && type != SseParser.EventTypeDefault)
            {
                Line(output, "event: "u8, type);
            }

            var data = Item.Data is string text ? text : JsonSerializer.Serialize(Item.Data, json);
            foreach (var line in data.ReplaceLineEndings("\n").Split('\n'))
            {
                Line(output, "data: "u8, line);
            }

            // The id is the last field (API.md): a client that takes an id as soon as it reads its line
            // (@microsoft/fetch-event-source) would otherwise resume after an event cut off before its blank line.
            Line(output, "id: "u8, Item.EventId ?? _next.ToString(CultureInfo.InvariantCulture));
            _next++;
            output.Write("\n"u8);
            return false;
        }

        private static void Line(IBufferWriter<byte> output, ReadOnlySpan<byte> field, string value)
        {
            // A field's value never carries a line break: one would end the field early and change the event.
            output.Write(field);
            var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(value.Length));
            var written = Encoding.UTF8.GetBytes(value.ReplaceLineEndings(" "), span);
            output.Advance(written);
            output.Write("\n"u8);
        }
    }
}

/// <summary>An answer relayed as the stream endpoint relays it, from after the request's <c>Last-Event-ID</c>.</summary>
internal sealed class AnswerResult(string messageId, AnswerState? ended) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        var services = httpContext.RequestServices;
        var from = long.TryParse(httpContext.Request.Headers["Last-Event-ID"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var last) ? last + 1 : 0;
        if (ended is { IsRunning: false } && from > ended.LastEventId)
        {
            httpContext.Response.StatusCode = StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        }

        var retryMs = services.GetRequiredService<IOptionsMonitor<EventStreamOptions>>().CurrentValue.RetryMilliseconds;
        return AnswerRelay.RelayAsync(httpContext, new SseFraming(retryMs, withSessionKey: false), messageId, from);
    }
}
