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
    [Tags(EndpointTags.Chat)]
    [EndpointSummary("Ask a question; the answer streams as Server-Sent Events")]
    [AcceptsJson<ChatQueryBody>]
    public static Responses<EventStream<SseFraming>, QuestionRefusals> Stream(IAnswers answers, ResumeTokens tokens, IOptionsMonitor<EventStreamOptions> options)
    {
        var retryMs = options.CurrentValue.RetryMilliseconds;
        return new(context => StreamThroughAsync(context, answers, tokens, () => new SseFraming(retryMs), () => new SseFraming(retryMs, withSessionKey: false)));
    }

    /// <summary>
    /// Admits our question body and relays its answer through <paramref name="framing"/> from its first event, with a
    /// <c>Location</c> where it can be resumed; a retry of the same question (<c>Last-Event-ID</c>) resumes it instead,
    /// through <paramref name="resumeFraming"/>.
    /// </summary>
    public static async Task StreamThroughAsync(HttpContext context, IAnswers answers, ResumeTokens tokens, Func<AnswerFraming> framing, Func<AnswerFraming> resumeFraming)
    {
        var admitted = await QuestionAdmission.AdmitAsync(context).ConfigureAwait(false);
        if (admitted is null)
        {
            return;
        }

        if (admitted.Resume is { } resume)
        {
            await AnswerEndpoints.ResumeAsync(context, resume.Answer, resume.FromId, resumeFraming()).ConfigureAwait(false);
            return;
        }

        var answer = await answers.StartAsync(admitted.Admission!).ConfigureAwait(false);
        context.Response.Headers["X-Streaming"] = answer.Streaming ? "on" : "off";
        if (tokens.Issue(answer.MessageId) is { } token)
        {
            context.Response.Headers.Location = AnswerEndpoints.ResumeUrl(answer.MessageId, token);
        }

        await AnswerRelay.RelayAsync(context, framing(), answer.MessageId, 0).ConfigureAwait(false);
    }

    /// <summary><c>POST /api/chat/query</c>: the whole answer as one JSON document, read from the same answer log.</summary>
    [Tags(EndpointTags.Chat)]
    [EndpointSummary("Ask a question; the whole answer as one JSON document")]
    [AcceptsJson<ChatQueryBody>]
    public static Responses<Json<ChatAnswerBody>, QuestionRefusals, AnswerFailures> Query(IAnswers answers)
        => new(context => QueryAsync(context, answers));

    private static async Task QueryAsync(HttpContext context, IAnswers answers)
    {
        var admitted = await QuestionAdmission.AdmitAsync(context, oneDocument: true).ConfigureAwait(false);
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

        var answer = await answers.StartAsync(admitted.Admission!).ConfigureAwait(false);
        var text = new StringBuilder();
        AnswerDone? done = null;
        AnswerError? error = null;
        using (answers.AttachReader(answer.MessageId))
        {
            try
            {
                await foreach (var streamEvent in answers.ReadEventsAsync(answer.MessageId, 0, context.RequestAborted).ConfigureAwait(false))
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
                        case AnswerEventKind.Start or AnswerEventKind.Audio or AnswerEventKind.Reasoning or AnswerEventKind.ToolCall
                            or AnswerEventKind.ToolResult or AnswerEventKind.ApprovalRequest or AnswerEventKind.Source:
                            break; // not the answer's text: the turn's parts are in the session's view
                        default:
                            throw new ArgumentOutOfRangeException(nameof(streamEvent), streamEvent.Kind, "An event kind this endpoint does not know.");
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
            await ChatProblems.AnswerFailed(error ?? AnswerErrors.NoReader).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        await WriteWholeAnswerAsync(context, answer, text.ToString(), done).ConfigureAwait(false);
    }

    private static async Task WriteWholeAnswerAsync(HttpContext context, AnswerInfo answer, string text, AnswerDone done)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        var json = new Utf8JsonWriter(context.Response.BodyWriter, ChatJson.WriterOptions);
        await using (json.ConfigureAwait(false))
        {
            json.WriteStartObject();
            json.WriteString("messageId"u8, answer.MessageId);
            json.WriteString("sessionId"u8, answer.SessionId);
            json.WriteString("chatbotId"u8, answer.ChatbotId);
            json.WriteString("answer"u8, text);
            json.WriteString("finishReason"u8, done.FinishReason);
            json.WritePropertyName("usage"u8);
            ChatJson.WriteUsage(json, done.Usage);
            json.WriteNumber("totalMs"u8, done.TotalMs);
            json.WriteEndObject();
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
