using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>API.md's "Answers: resume and stop": an answer read again from any position, stopped, or looked at.</summary>
internal static class AnswerEndpoints
{
    public const string StreamPath = "/api/chat/answers/{messageId}/stream";
    public const string StopPath = "/api/chat/answers/{messageId}/stop";
    public const string AnswerPath = "/api/chat/answers/{messageId}";
    private const string LastEventIdHeader = "Last-Event-ID";

    /// <summary>Where answer <paramref name="messageId"/> resumes, readable with <paramref name="token"/> alone.</summary>
    public static string ResumeUrl(string messageId, string token)
        => "/api/chat/answers/" + Uri.EscapeDataString(messageId) + "/stream?resumeToken=" + Uri.EscapeDataString(token);

    /// <summary>The highest id an event can have: an answer's log numbers its events with 32-bit indexes.</summary>
    internal const long MaxEventId = int.MaxValue - 1;

    /// <summary>
    /// Reads the id of the last event the caller has: the <c>Last-Event-ID</c> header, else (when <paramref name="fromQuery"/>)
    /// the <c>lastEventId</c> query parameter; null when neither is a whole number. False, with the 400 to answer, for a
    /// number no event can have.
    /// </summary>
    public static bool TryReadLastEventId(HttpRequest request, bool fromQuery, out long? lastEventId, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out IResult? refusal)
    {
        var value = request.Headers[LastEventIdHeader].ToString();
        if (value.Length == 0 && fromQuery)
        {
            value = request.Query["lastEventId"].ToString();
        }

        refusal = null;
        lastEventId = null;
        if (value.Length > 0 && value.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0)
        {
            if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id > MaxEventId)
            {
                refusal = JsonBody.Invalid(LastEventIdHeader, $"The Last-Event-ID must be an event's id: a whole number from 0 to {MaxEventId}.");
                return false;
            }

            lastEventId = id;
        }

        return true;
    }

    /// <summary><c>GET /api/chat/answers/{messageId}/stream</c>: the events after <c>Last-Event-ID</c>, then live ones to the end.</summary>
    [Tags(EndpointTags.Answers)]
    [EndpointSummary("Resume an answer after Last-Event-ID (header or lastEventId), with a resumeToken or as the session's owner")]
    public static Responses<EventStream<SseFraming>, AlreadyRead, AnswerNotFound> Stream(string messageId, IAnswers answers, ResumeTokens tokens, IOptionsMonitor<EventStreamOptions> options)
    {
        // A resumed start event never carries the session key: a resume token reads the answer, not the session.
        var retryMs = options.CurrentValue.RetryMilliseconds;
        return new(context => ReadThroughAsync(messageId, context, answers, tokens, () => new SseFraming(retryMs, withSessionKey: false)));
    }

    /// <summary>
    /// Reads an answer through <paramref name="framing"/>: the events after <c>Last-Event-ID</c> (or <c>lastEventId</c>),
    /// then live ones to the end, to whoever holds its resume token or owns its session; its stored turn once its log has
    /// expired; <c>204</c> when the caller has its terminal event; <c>404 answer_not_found</c> otherwise.
    /// </summary>
    public static async Task ReadThroughAsync(string messageId, HttpContext context, IAnswers answers, ResumeTokens tokens, Func<AnswerFraming> framing)
    {
        if (!TryReadLastEventId(context.Request, fromQuery: true, out var seen, out var refusal))
        {
            await refusal.ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        var fromId = seen is { } last ? last + 1 : 0;
        if (await answers.GetAsync(messageId, context.RequestAborted).ConfigureAwait(false) is { } answer)
        {
            var byToken = tokens.Allows(context.Request.Query["resumeToken"].ToString(), messageId);
            if (!byToken && !Owns(context, answer.Info.SessionId, answer.Info.Owner))
            {
                await ChatProblems.AnswerNotFound().ExecuteAsync(context).ConfigureAwait(false);
                return;
            }

            await ResumeAsync(context, answer, fromId, framing(), byToken ? messageId : null).ConfigureAwait(false);
            return;
        }

        // The log has expired: the stored turn, to its owner only (a resume token lasts as long as the log).
        var turn = await StoredAnswerAsync(context, messageId).ConfigureAwait(false);
        if (turn is null)
        {
            await ChatProblems.AnswerNotFound().ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        if (fromId >= AnswerRelay.Replay(turn).Count)
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        context.Response.Headers["X-Streaming"] = "on";
        await AnswerRelay.ReplayAsync(context, framing(), turn, fromId).ConfigureAwait(false);
    }

    /// <summary>
    /// Relays a logged answer from <paramref name="fromId"/>; <c>204</c> when the caller has its terminal event already. A
    /// caller past the end of an answer whose producing instance died (it read events the shared log never had) gets the
    /// terminal event, numbered after what it has (API.md: every reader gets one).
    /// </summary>
    /// <param name="context">The request.</param>
    /// <param name="answer">The answer as its log knows it.</param>
    /// <param name="fromId">The first event the caller wants.</param>
    /// <param name="framing">The wire format.</param>
    /// <param name="tokenFor">The answer whose resume token let the caller in (its readers are counted), or null.</param>
    public static async Task ResumeAsync(HttpContext context, AnswerState answer, long fromId, AnswerFraming framing, string? tokenFor = null)
    {
        var answers = context.RequestServices.GetRequiredService<IAnswers>();
        if (!answer.IsRunning && fromId > answer.LastEventId)
        {
            var end = new List<AnswerEvent>();
            if (answer.EndedElsewhere && await answers.ReadAsync(answer.Info.MessageId, fromId, end, context.RequestAborted).ConfigureAwait(false) == AnswerRead.Events)
            {
                context.Response.Headers["X-Streaming"] = answer.Info.Streaming ? "on" : "off";
                await AnswerRelay.WriteEndedAsync(context, framing, end, fromId).ConfigureAwait(false);
                return;
            }

            framing.Dispose();
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        // A reader holds a connection for as long as the answer runs: each caller, and each resume token, holds a few at most.
        var retryAfter = context.RequestServices.GetRequiredService<IOptions<DrainOptions>>().Value.RetryAfterSeconds;
        var (reader, refused) = await context.RequestServices.GetRequiredService<ChatAdmission>()
            .AdmitReaderAsync(context, ChatCallers.Resolve(context), tokenFor, retryAfter).ConfigureAwait(false);
        if (refused is not null)
        {
            framing.Dispose();
            await refused.ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        using (reader)
        {
            context.Response.Headers["X-Streaming"] = answer.Info.Streaming ? "on" : "off";
            await AnswerRelay.RelayAsync(context, framing, answer.Info.MessageId, fromId).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// <c>POST /api/chat/answers/{messageId}/stop</c>: cancels a running answer and answers once what it said is stored as
    /// <c>stopped</c>; for an ended answer, how it ended. Idempotent.
    /// </summary>
    [Tags(EndpointTags.Answers)]
    [EndpointSummary("Stop a running answer; what it said is stored as stopped before this answers")]
    public static async Task<Responses<Json<StopBody>, AnswerNotFound>> StopAsync(string messageId, HttpContext context, IAnswers answers)
        => new(await StopCoreAsync(messageId, context, answers).ConfigureAwait(false));

    private static async Task<IResult> StopCoreAsync(string messageId, HttpContext context, IAnswers answers)
    {
        var answer = await answers.GetAsync(messageId, context.RequestAborted).ConfigureAwait(false);
        if (answer is null)
        {
            return await StoredAnswerAsync(context, messageId).ConfigureAwait(false) is { } turn
                ? Described(turn.MessageId, turn.Status, turn.Content, lastEventId: null)
                : ChatProblems.AnswerNotFound();
        }

        if (!Owns(context, answer.Info.SessionId, answer.Info.Owner))
        {
            return ChatProblems.AnswerNotFound();
        }

        // Wherever it runs: stopped here, asked of the instance producing it, or ended here when that instance is gone.
        if (await answers.StopAsync(messageId, context.RequestAborted).ConfigureAwait(false) is { } stopped)
        {
            return Described(messageId, stopped.Status, stopped.Answer, stopped.LastEventId);
        }

        answer = await answers.GetAsync(messageId, context.RequestAborted).ConfigureAwait(false) ?? answer;
        var text = await answers.ReadTextAsync(messageId, context.RequestAborted).ConfigureAwait(false);
        return Described(messageId, answer.Status, text, answer.LastEventId);
    }

    /// <summary><c>GET /api/chat/answers/{messageId}</c>: the answer's state and its text so far.</summary>
    [Tags(EndpointTags.Answers)]
    [EndpointSummary("An answer's status and text")]
    public static async Task<Responses<Json<AnswerBody>, AnswerNotFound>> GetAsync(string messageId, HttpContext context, IAnswers answers, ResumeTokens tokens)
        => new(await GetCoreAsync(messageId, context, answers, tokens).ConfigureAwait(false));

    private static async Task<IResult> GetCoreAsync(string messageId, HttpContext context, IAnswers answers, ResumeTokens tokens)
    {
        var answer = await answers.GetAsync(messageId, context.RequestAborted).ConfigureAwait(false);
        if (answer is not null)
        {
            if (!tokens.Allows(context.Request.Query["resumeToken"].ToString(), messageId) && !Owns(context, answer.Info.SessionId, answer.Info.Owner))
            {
                return ChatProblems.AnswerNotFound();
            }

            var text = await answers.ReadTextAsync(messageId, context.RequestAborted).ConfigureAwait(false);
            var info = answer.Info;
            return Json(json => WriteAnswer(json, messageId, info.SessionId, info.ChatbotId, answer.Status, text, answer.LastEventId, info.CreatedAt));
        }

        return await StoredAnswerAsync(context, messageId).ConfigureAwait(false) is { } turn
            ? Json(json => WriteAnswer(json, messageId, turn.SessionId, turn.ChatbotId, turn.Status, turn.Content, null, turn.CreatedAt))
            : ChatProblems.AnswerNotFound();
    }

    private static bool Owns(HttpContext context, string sessionId, string? owner)
        => context.RequestServices.GetRequiredService<SessionAccess>().Owns(context, ChatCallers.Resolve(context), sessionId, owner);

    /// <summary>The caller's stored answer of this id; null when there is none, it is someone else's, or the store is away.</summary>
    private static async Task<ConversationMessage?> StoredAnswerAsync(HttpContext context, string messageId)
    {
        ConversationMessage? turn;
        try
        {
            turn = await context.RequestServices.GetRequiredService<IConversationStore>().GetMessageAsync(messageId, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            return null;
        }

        return turn is { Role: ConversationRole.Assistant } && Owns(context, turn.SessionId, turn.Owner) ? turn : null;
    }

    private static string StatusName(MessageStatus? status) => status switch
    {
        null => "running",
        MessageStatus.Complete => "complete",
        MessageStatus.Interrupted => "interrupted",
        MessageStatus.Failed => "failed",
        _ => "stopped",
    };

    private static IResult Described(string messageId, MessageStatus? status, string text, long? lastEventId) => Json(json =>
    {
        json.WriteString("messageId"u8, messageId);
        json.WriteString("status"u8, StatusName(status));
        json.WriteString("answer"u8, text);
        ChatJson.WriteNullableNumber(json, "lastEventId"u8, lastEventId);
    });

    private static void WriteAnswer(System.Text.Json.Utf8JsonWriter json, string messageId, string sessionId, string chatbotId, MessageStatus? status, string text, long? lastEventId, DateTimeOffset createdAt)
    {
        json.WriteString("messageId"u8, messageId);
        json.WriteString("sessionId"u8, sessionId);
        json.WriteString("chatbotId"u8, chatbotId);
        json.WriteString("status"u8, StatusName(status));
        json.WriteString("answer"u8, text);
        ChatJson.WriteNullableNumber(json, "lastEventId"u8, lastEventId);
        json.WriteString("createdAt"u8, createdAt);
    }

    private static IResult Json(Action<System.Text.Json.Utf8JsonWriter> writeMembers) => new JsonObjectResult(writeMembers);

    private sealed class JsonObjectResult(Action<System.Text.Json.Utf8JsonWriter> writeMembers) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status200OK;
            return ChatJson.WriteResponseAsync(httpContext, json =>
            {
                json.WriteStartObject();
                writeMembers(json);
                json.WriteEndObject();
            });
        }
    }
}
