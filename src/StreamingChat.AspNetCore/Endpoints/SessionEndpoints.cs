using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>The owner's session endpoints of API.md: start an empty session, read its turns, erase it.</summary>
internal static class SessionEndpoints
{
    public const string SessionsPath = "/api/chat/sessions";
    public const string SessionPath = "/api/chat/sessions/{sessionId}";
    private const int MaxBodyBytes = 4096;
    private const int DefaultPageSize = 50;

    /// <summary><c>POST /api/chat/sessions</c>: an empty session owned by the caller, and its key.</summary>
    [Tags(EndpointTags.Sessions)]
    [EndpointSummary("Start an empty session owned by the caller")]
    [AcceptsJson<SessionCreateBody>(Optional = true)]
    public static async Task<Responses<CreatedJson<SessionCreatedBody>, SessionCreateRefusals>> CreateAsync(HttpContext context, SessionAccess access, ChatAdmission admission, IOptionsMonitor<SessionsOptions> options)
        => new(await CreateCoreAsync(context, access, admission, options).ConfigureAwait(false));

    private static async Task<IResult> CreateCoreAsync(HttpContext context, SessionAccess access, ChatAdmission admission, IOptionsMonitor<SessionsOptions> options)
    {
        var caller = ChatCallers.Resolve(context);
        if (!caller.IsSignedIn && options.CurrentValue.AnonymousRefused)
        {
            return ChatProblems.SignInRequired(context);
        }

        // Sessions cost a record each: minting them counts against the caller's questions per minute.
        if (await admission.CheckCallerAsync(context, caller).ConfigureAwait(false) is { } limited)
        {
            return limited;
        }

        var (root, problem) = await JsonBody.ReadObjectAsync(context.Request, MaxBodyBytes, optional: true, context.RequestAborted).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var (sessionId, errors) = ReadRequestedId(root);
        if (errors.Count > 0)
        {
            return ChatProblems.Invalid(errors);
        }

        var session = await access.OpenForQuestionAsync(context, caller, sessionId, context.RequestAborted).ConfigureAwait(false);
        if (session is null)
        {
            return ChatProblems.Problem(StatusCodes.Status409Conflict, ChatErrorCodes.SessionExists, "The session exists.", "A session of this id is another caller's; choose another id or omit it.");
        }

        if (session.SessionKey is not null)
        {
            context.Response.Headers[SessionAccess.KeyHeader] = session.SessionKey;
        }

        context.Response.Headers.Location = SessionsPath + "/" + Uri.EscapeDataString(session.SessionId);
        return new JsonWritten(StatusCodes.Status201Created, json =>
        {
            json.WriteStartObject();
            json.WriteString("sessionId"u8, session.SessionId);
            if (session.SessionKey is not null)
            {
                json.WriteString("sessionKey"u8, session.SessionKey);
            }

            json.WriteEndObject();
        });
    }

    /// <summary>The session id a new session's body asks for (none: one is made), and what is wrong with the body.</summary>
    private static (string? SessionId, Dictionary<string, string[]> Errors) ReadRequestedId(System.Text.Json.JsonElement? root)
    {
        string? sessionId = null;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var property in root?.EnumerateObject() ?? default)
        {
            if (property.Name == "sessionId" && property.Value.ValueKind == System.Text.Json.JsonValueKind.String && sessionId is null)
            {
                sessionId = property.Value.GetString();
                ChatQueryReader.CheckId(sessionId, "sessionId", errors);
            }
            else if (property.Name != "sessionId" || property.Value.ValueKind != System.Text.Json.JsonValueKind.Null)
            {
                errors[property.Name] = [property.Name == "sessionId" ? "The sessionId must be a string, given once." : "The field is not known. Allowed: sessionId."];
            }
        }

        return (sessionId, errors);
    }

    /// <summary><c>GET /api/chat/sessions/{sessionId}?limit=&amp;before=</c>: the owner's view, newest turn last.</summary>
    [Tags(EndpointTags.Sessions)]
    [EndpointSummary("The owner's view of a session, newest turn last")]
    public static async Task<Responses<Json<SessionBody>, InvalidRequest, SessionRefusals>> GetAsync(string sessionId, string? limit, string? before, HttpContext context, SessionAccess access, IConversationStore store, IAnswers answers, IOptionsMonitor<SessionsOptions> options)
        => new(await GetCoreAsync(sessionId, limit, before, context, access, store, answers, options).ConfigureAwait(false));

    private static async Task<IResult> GetCoreAsync(string sessionId, string? limit, string? before, HttpContext context, SessionAccess access, IConversationStore store, IAnswers answers, IOptionsMonitor<SessionsOptions> options)
    {
        var maxPage = options.CurrentValue.MaxPageSize;
        var pageSize = DefaultPageSize;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize < 1 || pageSize > maxPage))
        {
            return JsonBody.Invalid("limit", $"The limit must be a whole number from 1 to {maxPage}.");
        }

        var session = await access.OpenExistingAsync(context, ChatCallers.Resolve(context), sessionId, context.RequestAborted).ConfigureAwait(false);
        if (session is null)
        {
            return ChatProblems.SessionNotFound();
        }

        var turns = await store.GetRecentAsync(sessionId, session.Owner, pageSize, before, context.RequestAborted).ConfigureAwait(false);
        var latest = await answers.GetLatestAsync(sessionId, context.RequestAborted).ConfigureAwait(false);
        var decisions = await DecisionsAsync(turns, context).ConfigureAwait(false);
        return new JsonWritten(StatusCodes.Status200OK, json =>
        {
            json.WriteStartObject();
            json.WriteString("sessionId"u8, sessionId);
            if (turns.Count > 0)
            {
                json.WriteString("chatbotId"u8, turns[^1].ChatbotId);
            }
            else
            {
                json.WriteNull("chatbotId"u8);
            }

            if (latest is { IsRunning: true })
            {
                json.WriteString("activeMessageId"u8, latest.Info.MessageId);
            }
            else
            {
                json.WriteNull("activeMessageId"u8);
            }

            WriteTurns(json, turns, decisions);
            json.WriteEndObject();
        });
    }

    /// <summary>The session's <c>messages</c>: each turn, an answer with its <c>parts</c>.</summary>
    private static void WriteTurns(System.Text.Json.Utf8JsonWriter json, IReadOnlyList<ConversationMessage> turns, IReadOnlyDictionary<string, ApprovalDecision>? decisions)
    {
        json.WriteStartArray("messages"u8);
        foreach (var turn in turns)
        {
            json.WriteStartObject();
            json.WriteString("messageId"u8, turn.MessageId);
            json.WriteString("role"u8, turn.Role == ConversationRole.User ? "user" : "assistant");
            json.WriteString("content"u8, turn.Content);
            json.WriteString("status"u8, turn.Status.ToString().ToLowerInvariant());
            json.WriteString("createdAt"u8, turn.CreatedAt);
            if (turn.Role == ConversationRole.Assistant)
            {
                ChatJson.WriteParts(json, turn, decisions);
                if (turn.Feedback is { } feedback)
                {
                    json.WriteStartObject("feedback"u8);
                    json.WriteString("rating"u8, feedback.Rating);
                    if (feedback.Comment is not null)
                    {
                        json.WriteString("comment"u8, feedback.Comment);
                    }

                    json.WriteEndObject();
                }
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    /// <summary>How each approval the turns asked for was decided, where it was; none when no turn asked for one.</summary>
    private static async Task<Dictionary<string, ApprovalDecision>?> DecisionsAsync(IReadOnlyList<ConversationMessage> turns, HttpContext context)
    {
        Dictionary<string, ApprovalDecision>? decisions = null;
        IToolApprovals? approvals = null;
        foreach (var turn in turns)
        {
            foreach (var part in turn.Parts)
            {
                if (part.ApprovalId is not { } approvalId)
                {
                    continue;
                }

                approvals ??= context.RequestServices.GetRequiredService<IToolApprovals>();
                if (await approvals.GetAsync(approvalId, context.RequestAborted).ConfigureAwait(false) is { } decision)
                {
                    (decisions ??= new(StringComparer.Ordinal))[approvalId] = decision;
                }
            }
        }

        return decisions;
    }

    /// <summary>
    /// <c>DELETE /api/chat/sessions/{sessionId}</c>: stops the running answer, then erases every copy of the session (the
    /// owner's right to erasure): its answers' logs and pointers on every instance and in Redis, its turns waiting in the
    /// outbox and their copies, its own limit, then its stored turns. Every URL that served its answers is 404 afterwards.
    /// </summary>
    [Tags(EndpointTags.Sessions)]
    [EndpointSummary("Delete a session's turns everywhere they are stored")]
    public static async Task<Responses<Deleted, SessionRefusals>> DeleteAsync(string sessionId, HttpContext context, SessionAccess access, IConversationStore store, IAnswers answers, ChatAdmission admission, IOptions<DrainOptions> drain)
        => new(await DeleteCoreAsync(sessionId, context, access, store, answers, admission, drain).ConfigureAwait(false));

    private static async Task<IResult> DeleteCoreAsync(string sessionId, HttpContext context, SessionAccess access, IConversationStore store, IAnswers answers, ChatAdmission admission, IOptions<DrainOptions> drain)
    {
        var session = await access.OpenExistingAsync(context, ChatCallers.Resolve(context), sessionId, context.RequestAborted).ConfigureAwait(false);
        if (session is null)
        {
            return ChatProblems.SessionNotFound();
        }

        // The stopped answer stores what it had said (here, or on the instance producing it): that write must land before
        // the erasure, not after it. One that does not end in time is erased all the same.
        if (await answers.GetLatestAsync(sessionId, context.RequestAborted).ConfigureAwait(false) is { IsRunning: true } running)
        {
            await answers.StopAsync(running.Info.MessageId, context.RequestAborted).ConfigureAwait(false);
        }

        try
        {
            // Before the stored turns: a turn still on its way to the store is refused from here on.
            await answers.EraseSessionAsync(sessionId, context.RequestAborted).ConfigureAwait(false);
            await admission.ForgetSessionAsync(sessionId).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            // What Redis keeps of the session is still there: the caller asks again (nothing was deleted yet that matters).
            context.Response.Headers.RetryAfter = drain.Value.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return ChatProblems.Problem(StatusCodes.Status503ServiceUnavailable, ChatErrorCodes.Overloaded, "The session could not be erased now.",
                "The shared state cannot be reached; ask again shortly.");
        }

        await store.DeleteSessionAsync(sessionId, context.RequestAborted).ConfigureAwait(false);
        return TypedResults.NoContent();
    }

    /// <summary>A JSON answer written with <see cref="System.Text.Json.Utf8JsonWriter"/>, as the other endpoints write theirs.</summary>
    private sealed class JsonWritten(int status, Action<System.Text.Json.Utf8JsonWriter> write) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            return ChatJson.WriteResponseAsync(httpContext, write);
        }
    }
}
