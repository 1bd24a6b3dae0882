using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>The two chat endpoints of API.md.</summary>
internal static partial class ChatEndpoints
{
    public const string StreamPath = "/api/chat/query/stream";
    public const string QueryPath = "/api/chat/query";

    /// <summary>
    /// <c>POST /api/chat/query/stream</c>: starts the answer and relays it as Server-Sent Events from its first event, with
    /// a <c>Location</c> where it can be resumed; a retry of the same question (<c>Last-Event-ID</c>) resumes it instead.
    /// </summary>
    public static async Task StreamAsync(HttpContext context)
    {
        var admitted = await AdmitAsync(context).ConfigureAwait(false);
        if (admitted is null)
        {
            return;
        }

        var services = context.RequestServices;
        var retryMs = services.GetRequiredService<IOptionsMonitor<ChatStreamOptions>>().CurrentValue.RetryMilliseconds;
        if (admitted.Resume is { } resume)
        {
            await AnswerEndpoints.ResumeAsync(context, resume.Answer, resume.FromId, new SseFraming(retryMs, withSessionKey: false)).ConfigureAwait(false);
            return;
        }

        var prepared = admitted.Prepared!;
        var streaming = await services.GetRequiredService<IStreamingModeDecider>().IsStreamingEnabledAsync(prepared.Query, context.RequestAborted).ConfigureAwait(false);
        var answer = await admitted.StartAsync(services, streaming).ConfigureAwait(false);
        context.Response.Headers["X-Streaming"] = streaming ? "on" : "off";
        if (services.GetRequiredService<ResumeTokens>().Issue(answer.MessageId) is { } token)
        {
            context.Response.Headers.Location = AnswerEndpoints.ResumeUrl(answer.MessageId, token);
        }

        await AnswerRelay.RelayAsync(context, new SseFraming(retryMs), answer.MessageId, 0, answer).ConfigureAwait(false);
    }

    /// <summary><c>POST /api/chat/query</c>: the whole answer as one JSON document, read from the same answer log.</summary>
    public static async Task QueryAsync(HttpContext context)
    {
        var admitted = await AdmitAsync(context, spoken: false).ConfigureAwait(false);
        if (admitted is null)
        {
            return;
        }

        if (admitted.Resume is not null)
        {
            // A one-piece answer has no events to resume: the retry is the same question, refused while its answer runs.
            await ChatProblems.AnswerInProgress(admitted.Resume.Answer.Info.MessageId).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        var prepared = admitted.Prepared!;
        var answer = await admitted.StartAsync(context.RequestServices, streaming: false).ConfigureAwait(false);
        var log = context.RequestServices.GetRequiredService<ChatPipeline>().Answers;
        var text = new StringBuilder();
        AnswerDone? done = null;
        AnswerError? error = null;
        using (answer.AttachReader())
        {
            try
            {
                await foreach (var streamEvent in log.ReadEventsAsync(answer.MessageId, 0, context.RequestAborted).ConfigureAwait(false))
                {
                    switch (streamEvent.Kind)
                    {
                        case AnswerEventKind.Token:
                            text.Append(streamEvent.Text);
                            break;
                        case AnswerEventKind.Done:
                            done = streamEvent.Done;
                            break;
                        case AnswerEventKind.Error:
                            error = streamEvent.Error;
                            break;
                    }
                }
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                return; // the caller left; the answer ends when no reader comes back in time
            }
        }

        if (error is not null || done is null)
        {
            await ChatProblems.AnswerFailed(error ?? ChatPipeline.NoReader).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        var json = new Utf8JsonWriter(context.Response.BodyWriter, ChatJson.WriterOptions);
        await using (json.ConfigureAwait(false))
        {
            json.WriteStartObject();
            json.WriteString("messageId"u8, prepared.MessageId);
            json.WriteString("sessionId"u8, prepared.Query.SessionId);
            json.WriteString("chatbotId"u8, prepared.Query.ChatbotId);
            json.WriteString("answer"u8, text.ToString());
            json.WriteString("finishReason"u8, done.FinishReason);
            json.WritePropertyName("usage"u8);
            ChatJson.WriteUsage(json, done.Usage);
            json.WriteNumber("totalMs"u8, done.TotalMs);
            json.WriteEndObject();
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
