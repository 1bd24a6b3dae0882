using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>
/// A question's way in, as steps in the order that costs least first: the gate (draining 503, a full outbox 503, a caller
/// who must sign in 401, the caller's limits 429), the body (400/413/415), the question in its session (the chatbot 404,
/// the session's owner 404, a retried question to resume, an answer in progress 409, the session's limit 429), then room
/// for the answer (the caller's places 429, a slot 503, the drain's count). Each step writes its refusal and ends the way;
/// the last yields the <see cref="AnswerAdmission"/> that the answer owns, holding what it took.
/// </summary>
internal sealed class QuestionAdmission
{
    private readonly HttpContext _context;
    private readonly IServiceProvider _services;
    private readonly StreamingChatDrain _drain;
    private readonly DrainOptions _drainOptions;
    private readonly ChatAdmission _limits;
    private readonly ChatCaller _caller;

    private QuestionAdmission(HttpContext context)
    {
        _context = context;
        _services = context.RequestServices;
        _drain = _services.GetRequiredService<StreamingChatDrain>();
        _drainOptions = _services.GetRequiredService<IOptions<DrainOptions>>().Value;
        _limits = _services.GetRequiredService<ChatAdmission>();
        _caller = ChatCallers.Resolve(context);
    }

    /// <summary>
    /// Admits the request's question, or writes the refusal and returns null.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <param name="validate">Reads the question from the body's JSON object; null for our own body (API.md), whose clients
    /// may also resume an answer by asking its question again with <c>Last-Event-ID</c>.</param>
    /// <param name="oneDocument">True where the whole answer goes out as one JSON document: not streamed, and not spoken.</param>
    public static async Task<Admitted?> AdmitAsync(HttpContext context, Func<JsonElement, int, ChatQueryReadResult>? validate = null, bool oneDocument = false)
    {
        var admission = new QuestionAdmission(context);
        if (!await admission.PassGateAsync().ConfigureAwait(false))
        {
            return null;
        }

        var read = await admission.ReadQuestionAsync(validate).ConfigureAwait(false);
        if (read is null)
        {
            return null;
        }

        var query = oneDocument ? read.Value.Query! with { EnableTts = false } : read.Value.Query!;
        switch (await admission.FindSessionAsync(query, resumable: validate is null).ConfigureAwait(false))
        {
            case null:
                return null;
            case { Resume: { } resume }:
                return new Admitted(null, resume);
            case var found:
                var admitted = await admission.MakeRoomAsync(found.Query, found.Chatbot, streaming: !oneDocument).ConfigureAwait(false);
                return admitted is null ? null : new Admitted(admitted, null) { RunId = read.Value.RunId };
        }
    }

    /// <summary>Draining, the store's outbox full, a caller who must sign in, the caller's questions per minute and budget.</summary>
    private async Task<bool> PassGateAsync()
    {
        if (_drain.IsDraining)
        {
            await RefuseDrainingAsync().ConfigureAwait(false);
            return false;
        }

        // The store is away and as many turns wait as the outbox keeps: a new answer could not be kept, so it is not given.
        if (_services.GetRequiredService<TurnOutbox>().IsFull)
        {
            SetRetryAfter();
            await ChatProblems.Problem(StatusCodes.Status503ServiceUnavailable, ChatErrorCodes.Overloaded, "The conversation store is unreachable.", "Too many turns wait for the store to answer again; ask again shortly.")
                .ExecuteAsync(_context).ConfigureAwait(false);
            return false;
        }

        if (!_caller.IsSignedIn && _services.GetRequiredService<IOptionsMonitor<SessionsOptions>>().CurrentValue.AnonymousRefused)
        {
            await ChatProblems.SignInRequired(_context).ExecuteAsync(_context).ConfigureAwait(false);
            return false;
        }

        return await RefuseAsync(await _limits.CheckCallerAsync(_context, _caller).ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary>The body, read and validated; null when refused.</summary>
    private async Task<ChatQueryReadResult?> ReadQuestionAsync(Func<JsonElement, int, ChatQueryReadResult>? validate)
    {
        var maxQueryLength = _services.GetRequiredService<IOptionsMonitor<ChatStreamOptions>>().CurrentValue.MaxQueryLength;
        var read = validate is null
            ? await ChatQueryReader.ReadAsync(_context.Request, maxQueryLength, _context.RequestAborted).ConfigureAwait(false)
            : await ChatQueryReader.ReadAsync(_context.Request, maxQueryLength, validate, _context.RequestAborted).ConfigureAwait(false);
        return await RefuseAsync(read.Problem).ConfigureAwait(false) ? read : null;
    }

    /// <summary>
    /// The question in its session: its chatbot (read once, here), the session it may use (claimed for the caller when new),
    /// then one answer at a time per session, so turns are stored in order: a client retrying the question it asked
    /// (<c>Last-Event-ID</c>, as fetch-event-source sends it) resumes that answer rather than asking the model again.
    /// </summary>
    private async Task<InSession?> FindSessionAsync(ChatQuery query, bool resumable)
    {
        var cancellationToken = _context.RequestAborted;

        // A question for no chatbot is refused before it can claim a session.
        if (await _services.GetRequiredService<IChatbotStore>().GetAsync(query.ChatbotId, cancellationToken).ConfigureAwait(false) is not { Enabled: true } chatbot)
        {
            await ChatProblems.ChatbotNotFound(query.ChatbotId).ExecuteAsync(_context).ConfigureAwait(false);
            return null;
        }

        var session = await _services.GetRequiredService<SessionAccess>()
            .OpenForQuestionAsync(_context, _caller, query.SessionId.Length == 0 ? null : query.SessionId, cancellationToken).ConfigureAwait(false);
        if (session is null)
        {
            await ChatProblems.SessionNotFound().ExecuteAsync(_context).ConfigureAwait(false);
            return null;
        }

        // The key goes back with every answer, and with a refusal too, so a caller told to retry holds the session it named.
        if (session.SessionKey is not null)
        {
            _context.Response.Headers[SessionAccess.KeyHeader] = session.SessionKey;
        }

        query = query with { SessionId = session.SessionId, Owner = session.Owner, SessionKey = session.SessionKey, UserId = _caller.UserId ?? query.UserId };
        long? seen = null;
        if (resumable && !AnswerEndpoints.TryReadLastEventId(_context.Request, fromQuery: false, out seen, out var badLastEventId))
        {
            await badLastEventId.ExecuteAsync(_context).ConfigureAwait(false);
            return null;
        }

        if (await _services.GetRequiredService<IAnswers>().GetLatestAsync(session.SessionId, cancellationToken).ConfigureAwait(false) is { } latest)
        {
            if (seen is { } last && latest.Info.Question == query.Query && latest.Info.Owner == session.Owner)
            {
                return new InSession(query, chatbot, new AnswerResume(latest, last + 1));
            }

            if (latest.IsRunning)
            {
                await ChatProblems.AnswerInProgress(latest.Info.MessageId).ExecuteAsync(_context).ConfigureAwait(false);
                return null;
            }
        }

        return await RefuseAsync(await _limits.CheckSessionAsync(_context, session.SessionId).ConfigureAwait(false)).ConfigureAwait(false)
            ? new InSession(query, chatbot, null)
            : null;
    }

    /// <summary>
    /// Room for the answer: the caller's place among their running answers and one of this instance's slots, held while
    /// the answer runs, with the budget charged as it ends; the drain's count, held until its terminal event is logged.
    /// </summary>
    private async Task<AnswerAdmission?> MakeRoomAsync(ChatQuery query, ChatbotDefinition chatbot, bool streaming)
    {
        var (lease, refused) = await _limits.AdmitAsync(_context, _caller, _drainOptions.RetryAfterSeconds).ConfigureAwait(false);
        if (lease is null)
        {
            await RefuseAsync(refused).ConfigureAwait(false);
            return null;
        }

        if (streaming)
        {
            streaming = await _services.GetRequiredService<IStreamingModeDecider>().IsStreamingEnabledAsync(query, _context.RequestAborted).ConfigureAwait(false);
        }

        var admission = new AnswerAdmission(query, chatbot) { Streaming = streaming, Deadline = _drain.Deadline };
        admission.HoldWhileRunning(lease)
            .HoldWhileRunning(new BudgetCharge(_limits.Budget, _caller.LimitKey, admission))
            .HoldUntilEnded(_drain.TrackAnswer());

        // Draining may have begun while the question waited for a slot.
        if (_drain.IsDraining)
        {
            await admission.DisposeAsync().ConfigureAwait(false);
            await RefuseDrainingAsync().ConfigureAwait(false);
            return null;
        }

        return admission;
    }

    /// <summary>Writes <paramref name="refusal"/> when there is one; true when there was none.</summary>
    private async Task<bool> RefuseAsync(IResult? refusal)
    {
        if (refusal is null)
        {
            return true;
        }

        await refusal.ExecuteAsync(_context).ConfigureAwait(false);
        return false;
    }

    private Task RefuseDrainingAsync()
    {
        SetRetryAfter();
        return ChatProblems.Problem(StatusCodes.Status503ServiceUnavailable, ChatErrorCodes.ServerDraining, "The server is restarting.", "This instance is draining; ask again (another instance will answer).")
            .ExecuteAsync(_context);
    }

    private void SetRetryAfter() => _context.Response.Headers.RetryAfter = _drainOptions.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);

    /// <summary>The question in its session, and its chatbot; or the answer a retried question resumes.</summary>
    private sealed record InSession(ChatQuery Query, ChatbotDefinition Chatbot, AnswerResume? Resume);
}

/// <summary>A retried question whose answer exists: where the caller resumes it.</summary>
internal sealed record AnswerResume(AnswerState Answer, long FromId);

/// <summary>A question let in (its admission, which its answer will own), or a retried question to resume.</summary>
/// <param name="Admission">The admission to start the answer with; null for a resume.</param>
/// <param name="Resume">The answer to resume; null for a new answer.</param>
internal sealed record Admitted(AnswerAdmission? Admission, AnswerResume? Resume)
{
    /// <summary>The run the question belongs to, for protocols that name one (AG-UI's <c>runId</c>).</summary>
    public string? RunId { get; init; }
}

/// <summary>Charges the caller's token budget with what the answer used, as it ends (its cost is known only then).</summary>
internal sealed class BudgetCharge(TokenBudget budget, string callerKey, AnswerAdmission admission) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => admission.Ending is { } ending ? budget.ChargeAsync(callerKey, ending.OutputTokens) : ValueTask.CompletedTask;
}
