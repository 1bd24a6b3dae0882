using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>The two chat endpoints of API.md.</summary>
internal static class ChatEndpoints
{
    public const string StreamPath = "/api/chat/query/stream";
    public const string QueryPath = "/api/chat/query";

    /// <summary><c>POST /api/chat/query/stream</c>: the answer as Server-Sent Events.</summary>
    public static async Task StreamAsync(HttpContext context)
    {
        var (prepared, options) = await PrepareAsync(context).ConfigureAwait(false);
        if (prepared is null)
        {
            return;
        }

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
            try
            {
                await foreach (var streamEvent in pipeline.StreamAsync(prepared, streaming, cancellationToken).ConfigureAwait(false))
                {
                    if (!await sse.WriteAsync(streamEvent, cancellationToken).ConfigureAwait(false))
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The caller left; the pipeline stored what was sent as interrupted.
            }
        }
    }

    /// <summary><c>POST /api/chat/query</c>: the whole answer as one JSON document.</summary>
    public static async Task QueryAsync(HttpContext context)
    {
        var (prepared, _) = await PrepareAsync(context).ConfigureAwait(false);
        if (prepared is null)
        {
            return;
        }

        var cancellationToken = context.RequestAborted;
        var pipeline = context.RequestServices.GetRequiredService<ChatPipeline>();
        var answer = new StringBuilder();
        ChatStreamDone? done = null;
        ChatStreamError? error = null;
        try
        {
            await foreach (var streamEvent in pipeline.StreamAsync(prepared, streaming: false, cancellationToken).ConfigureAwait(false))
            {
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

    /// <summary>Reads, validates and prepares the question; writes the refusal and returns null when there is one.</summary>
    private static async Task<(PreparedChat? Prepared, ChatStreamOptions Options)> PrepareAsync(HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        var options = context.RequestServices.GetRequiredService<IOptionsMonitor<ChatStreamOptions>>().CurrentValue;
        var read = await ChatQueryReader.ReadAsync(context.Request, options.MaxQueryLength, cancellationToken).ConfigureAwait(false);
        if (read.Problem is not null)
        {
            await read.Problem.ExecuteAsync(context).ConfigureAwait(false);
            return (null, options);
        }

        var query = read.Query!;
        var prepared = await context.RequestServices.GetRequiredService<ChatPipeline>().PrepareAsync(query, cancellationToken).ConfigureAwait(false);
        if (prepared is null)
        {
            await ChatProblems.ChatbotNotFound(query.ChatbotId).ExecuteAsync(context).ConfigureAwait(false);
        }

        return (prepared, options);
    }
}
