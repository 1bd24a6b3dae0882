using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>The two chat endpoints of API.md.</summary>
internal static partial class ChatEndpoints
{
    public const string StreamPath = "/api/chat/query/stream";
    public const string QueryPath = "/api/chat/query";

    /// <summary><c>POST /api/chat/query/stream</c>: the answer as Server-Sent Events.</summary>
    public static async Task StreamAsync(HttpContext context)
    {
        var admitted = await AdmitAsync(context).ConfigureAwait(false);
        if (admitted is null)
        {
            return;
        }

        await using var release = admitted.ConfigureAwait(false);
        var (prepared, options) = (admitted.Prepared, admitted.Options);

        var cancellationToken = context.RequestAborted;
        var services = context.RequestServices;
        var streaming = await services.GetRequiredService<IStreamingModeDecider>().IsStreamingEnabledAsync(prepared.Query, cancellationToken).ConfigureAwait(false);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        var headers = response.Headers;
        headers.CacheControl = "no-cache";
        headers["X-Accel-Buffering"] = "no";
        headers["X-Streaming"] = streaming ? "on" : "off";

        // Nothing between us and the socket may hold events back (response buffering or compression middleware).
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        var pipeline = services.GetRequiredService<ChatPipeline>();
        var sse = new SseEventWriter(response.BodyWriter, TimeSpan.FromSeconds(options.HeartbeatSeconds), options.RetryMilliseconds, services.GetRequiredService<TimeProvider>());
        await using (sse.ConfigureAwait(false))
        {
            var deadline = services.GetRequiredService<StreamingChatDrain>().Deadline;

            // Ends the answer when the caller left or can no longer be written to; the pipeline then stores it as interrupted.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var running = services.GetRequiredService<RunningAnswers>().Start(prepared.Query.SessionId, prepared.MessageId, stop);
            var events = pipeline.StreamAsync(prepared, streaming, deadline, stop.Token).GetAsyncEnumerator(stop.Token);
            var next = events.MoveNextAsync();
            var pending = true;
            try
            {
                while (true)
                {
                    pending = false;
                    if (!await next.ConfigureAwait(false))
                    {
                        break;
                    }

                    // The next event is asked for before this one is written: when it is ready already (tokens arriving
                    // back to back) the two share one write; when it is not, this one is flushed now, so no event ever
                    // waits in a buffer for the next.
                    var current = events.Current;
                    await admitted.ObserveAsync(current).ConfigureAwait(false);
                    next = events.MoveNextAsync();
                    pending = true;
                    if (!await sse.WriteAsync(current, flush: !next.IsCompleted, cancellationToken).ConfigureAwait(false))
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The caller left; the pipeline stored what was sent as interrupted.
            }
            finally
            {
                // An enumerator may only be disposed once its pending step is over.
                await stop.CancelAsync().ConfigureAwait(false);
                if (pending)
                {
                    try
                    {
                        await next.ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        // Cancelled, as asked.
                    }
                }

                await events.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary><c>POST /api/chat/query</c>: the whole answer as one JSON document.</summary>
    public static async Task QueryAsync(HttpContext context)
    {
        var admitted = await AdmitAsync(context).ConfigureAwait(false);
        if (admitted is null)
        {
            return;
        }

        await using var release = admitted.ConfigureAwait(false);
        var prepared = admitted.Prepared;
        prepared.SpeakAnswer = false; // one JSON answer has no place for audio

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        using var running = context.RequestServices.GetRequiredService<RunningAnswers>().Start(prepared.Query.SessionId, prepared.MessageId, stop);
        var cancellationToken = stop.Token;
        var pipeline = context.RequestServices.GetRequiredService<ChatPipeline>();
        var answer = new StringBuilder();
        ChatStreamDone? done = null;
        ChatStreamError? error = null;
        try
        {
            var deadline = context.RequestServices.GetRequiredService<StreamingChatDrain>().Deadline;
            await foreach (var streamEvent in pipeline.StreamAsync(prepared, streaming: false, deadline, cancellationToken).ConfigureAwait(false))
            {
                await admitted.ObserveAsync(streamEvent).ConfigureAwait(false);
                switch (streamEvent.Kind)
                {
                    case ChatStreamEventKind.Token:
                        answer.Append(streamEvent.Text);
                        break;
                    case ChatStreamEventKind.Done:
                        done = streamEvent.Done;
                        break;
                    case ChatStreamEventKind.Error:
                        error = streamEvent.Error;
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }

        if (error is not null)
        {
            await ChatProblems.AnswerFailed(error).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        if (done is null)
        {
            return; // The caller left before the answer was complete.
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        var json = new Utf8JsonWriter(context.Response.BodyWriter);
        await using (json.ConfigureAwait(false))
        {
            json.WriteStartObject();
            json.WriteString("messageId"u8, prepared.MessageId);
            json.WriteString("sessionId"u8, prepared.Query.SessionId);
            json.WriteString("chatbotId"u8, prepared.Query.ChatbotId);
            json.WriteString("answer"u8, answer.ToString());
            json.WriteString("finishReason"u8, done.FinishReason);
            json.WritePropertyName("usage"u8);
            ChatJson.WriteUsage(json, done.Usage);
            json.WriteNumber("totalMs"u8, done.TotalMs);
            json.WriteEndObject();
        }

        await context.Response.BodyWriter.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
