using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>The chat endpoints' admission: who may ask, in which session, and whether there is room for the answer.</summary>
internal static partial class ChatEndpoints
{
    /// <summary>
    /// Decides whether the question is answered, in the order that costs least first: draining (503), a full outbox while the
    /// store is away (503), a caller who must
    /// sign in (401), the caller's limits (429), the body (400/413/415), the chatbot (404), the session's owner (404), the session's limit
    /// (429), the caller's running answers (429) and a slot for the answer (503 overloaded). Writes the
    /// refusal and returns null when there is one; else the prepared answer, holding its slots and counted as running for
    /// the drain until disposed.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <param name="validate">Reads the question from the body's JSON object; null for our own body (API.md), whose
    /// clients may also resume an answer by asking its question again with <c>Last-Event-ID</c>.</param>
    /// <param name="spoken">False where the answer has no place for audio (one JSON document): the question is taken as not asking for it.</param>
    internal static async Task<Admitted?> AdmitAsync(HttpContext context, Func<System.Text.Json.JsonElement, int, ChatQueryReadResult>? validate = null, bool spoken = true)
    {
        var services = context.RequestServices;
        var cancellationToken = context.RequestAborted;
        var drain = services.GetRequiredService<StreamingChatDrain>();
        var drainOptions = services.GetRequiredService<IOptions<DrainOptions>>().Value;
        if (drain.IsDraining)
        {
            await RefuseDrainingAsync(context, drainOptions).ConfigureAwait(false);
            return null;
        }

        // The store is away and as many turns wait as the outbox keeps: a new answer could not be kept, so it is not given.
        if (services.GetRequiredService<TurnOutbox>().IsFull)
        {
            context.Response.Headers.RetryAfter = drainOptions.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await ChatProblems.Problem(StatusCodes.Status503ServiceUnavailable, ChatErrorCodes.Overloaded, "The conversation store is unreachable.", "Too many turns wait for the store to answer again; ask again shortly.")
                .ExecuteAsync(context).ConfigureAwait(false);
            return null;
        }

        var caller = ChatCallers.Resolve(context);
        if (!caller.IsSignedIn && services.GetRequiredService<IOptionsMonitor<SessionsOptions>>().CurrentValue.AnonymousRefused)
        {
            await ChatProblems.SignInRequired(context).ExecuteAsync(context).ConfigureAwait(false);
            return null;
        }

        var admission = services.GetRequiredService<ChatAdmission>();
        if (await admission.CheckCallerAsync(context, caller).ConfigureAwait(false) is { } callerLimited)
        {
            await callerLimited.ExecuteAsync(context).ConfigureAwait(false);
            return null;
        }

        var options = services.GetRequiredService<IOptionsMonitor<ChatStreamOptions>>().CurrentValue;
        var read = validate is null
            ? await ChatQueryReader.ReadAsync(context.Request, options.MaxQueryLength, cancellationToken).ConfigureAwait(false)
            : await ChatQueryReader.ReadAsync(context.Request, options.MaxQueryLength, validate, cancellationToken).ConfigureAwait(false);
        if (read.Problem is not null)
        {
            await read.Problem.ExecuteAsync(context).ConfigureAwait(false);
            return null;
        }

        // One JSON answer has no place for audio: the question is taken as not asking for it.
        var query = spoken ? read.Query! : read.Query! with { EnableTts = false };

        // A question for no chatbot is refused before it can claim a session.
        if (await services.GetRequiredService<IChatbotStore>().GetAsync(query.ChatbotId, cancellationToken).ConfigureAwait(false) is not { Enabled: true })
        {
            await ChatProblems.ChatbotNotFound(query.ChatbotId).ExecuteAsync(context).ConfigureAwait(false);
            return null;
        }

        var session = await services.GetRequiredService<SessionAccess>()
            .OpenForQuestionAsync(context, caller, query.SessionId.Length == 0 ? null : query.SessionId, cancellationToken).ConfigureAwait(false);
        if (session is null)
        {
            await ChatProblems.SessionNotFound().ExecuteAsync(context).ConfigureAwait(false);
            return null;
        }

        // The key goes back with every answer, and with a refusal too, so a caller told to retry holds the session it named.
        if (session.SessionKey is not null)
        {
            context.Response.Headers[SessionAccess.KeyHeader] = session.SessionKey;
        }

        query = query with { SessionId = session.SessionId, Owner = session.Owner, SessionKey = session.SessionKey, UserId = caller.UserId ?? query.UserId };

        // One answer at a time per session, so turns are stored in order; a client retrying the question it asked
        // (Last-Event-ID, as fetch-event-source sends it) resumes that answer rather than asking the model again.
        var pipeline = services.GetRequiredService<ChatPipeline>();
        long? seen = null;
        if (validate is null && !AnswerEndpoints.TryReadLastEventId(context.Request, fromQuery: false, out seen, out var badLastEventId))
        {
            await badLastEventId.ExecuteAsync(context).ConfigureAwait(false);
            return null;
        }

        if (await pipeline.Answers.GetLatestAsync(session.SessionId, cancellationToken).ConfigureAwait(false) is { } latest)
        {
            if (seen is { } last && latest.Info.Question == query.Query && latest.Info.Owner == session.Owner)
            {
                return new Admitted(new AnswerResume(latest, last + 1));
            }

            if (latest.IsRunning)
            {
                await ChatProblems.AnswerInProgress(latest.Info.MessageId).ExecuteAsync(context).ConfigureAwait(false);
                return null;
            }
        }

        if (await admission.CheckSessionAsync(context, session.SessionId).ConfigureAwait(false) is { } sessionLimited)
        {
            await sessionLimited.ExecuteAsync(context).ConfigureAwait(false);
            return null;
        }

        var (lease, refused) = await admission.AdmitAsync(context, caller, drainOptions.RetryAfterSeconds).ConfigureAwait(false);
        if (lease is null)
        {
            if (refused is not null)
            {
                await refused.ExecuteAsync(context).ConfigureAwait(false);
            }

            return null;
        }

        var tracked = drain.TrackAnswer();
        try
        {
            // Draining may have begun while the question waited for a slot.
            if (drain.IsDraining)
            {
                await RefuseDrainingAsync(context, drainOptions).ConfigureAwait(false);
                return Release();
            }

            var prepared = await pipeline.PrepareAsync(query, cancellationToken).ConfigureAwait(false);
            if (prepared is null)
            {
                await ChatProblems.ChatbotNotFound(query.ChatbotId).ExecuteAsync(context).ConfigureAwait(false);
                return Release();
            }

            return new Admitted(prepared, caller, admission, lease, tracked) { RunId = read.RunId };
        }
        catch
        {
            Release();
            throw;
        }

        Admitted? Release()
        {
            tracked.Dispose();
            lease.Dispose();
            return null;
        }
    }

    private static Task RefuseDrainingAsync(HttpContext context, DrainOptions options)
    {
        context.Response.Headers.RetryAfter = options.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ChatProblems.Problem(StatusCodes.Status503ServiceUnavailable, ChatErrorCodes.ServerDraining, "The server is restarting.", "This instance is draining; ask again (another instance will answer).")
            .ExecuteAsync(context);
    }

    /// <summary>A retried question whose answer exists: where the caller resumes it.</summary>
    internal sealed record AnswerResume(AnswerState Answer, long FromId);

    /// <summary>
    /// A question let in: its prepared answer, its slots and its place in the drain count, which its answer holds until it
    /// ends (not the request: the answer outlives it); or a retried question to resume.
    /// </summary>
    internal sealed class Admitted
    {
        private readonly ChatCaller? _caller;
        private readonly ChatAdmission? _admission;
        private readonly IDisposable? _lease;
        private readonly IDisposable? _tracked;
        private int _released;

        public Admitted(PreparedChat prepared, ChatCaller caller, ChatAdmission admission, IDisposable lease, IDisposable tracked)
        {
            Prepared = prepared;
            _caller = caller;
            _admission = admission;
            _lease = lease;
            _tracked = tracked;
        }

        public Admitted(AnswerResume resume) => Resume = resume;

        public PreparedChat? Prepared { get; }

        public AnswerResume? Resume { get; }

        /// <summary>The run the question belongs to, for protocols that name one (AG-UI's <c>runId</c>).</summary>
        public string? RunId { get; init; }

        /// <summary>
        /// Starts the answer, handing it the slots: they are released, and the tokens it used charged to the caller's
        /// budget, before its terminal event is logged (so a question sent on <c>done</c> finds both); it leaves the drain
        /// count once it has ended.
        /// </summary>
        public async Task<RunningAnswer> StartAsync(IServiceProvider services, bool streaming)
        {
            RunningAnswer answer;
            try
            {
                answer = await services.GetRequiredService<ChatPipeline>()
                    .StartAsync(Prepared!, streaming, services.GetRequiredService<StreamingChatDrain>().Deadline, EndingAsync).ConfigureAwait(false);
            }
            catch
            {
                Release();
                _tracked!.Dispose();
                throw;
            }

            _ = answer.Completion.ContinueWith(static (_, tracked) => ((IDisposable)tracked!).Dispose(), _tracked, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return answer;
        }

        private ValueTask EndingAsync(AnswerEnding ending)
        {
            Release();
            return _admission!.Budget.ChargeAsync(_caller!.LimitKey, ending.OutputTokens);
        }

        private void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                _lease!.Dispose();
            }
        }
    }
}
