using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>The chat endpoints' admission: who may ask, in which session, and whether there is room for the answer.</summary>
internal static partial class ChatEndpoints
{
    /// <summary>
    /// Decides whether the question is answered, in the order that costs least first: draining (503), a caller who must
    /// sign in (401), the caller's limits (429), the body (400/413/415), the chatbot (404), the session's owner (404), the session's limit
    /// (429), the caller's running answers (429) and a slot for the answer (503 overloaded). Writes the
    /// refusal and returns null when there is one; else the prepared answer, holding its slots and counted as running for
    /// the drain until disposed.
    /// </summary>
    private static async Task<Admitted?> AdmitAsync(HttpContext context)
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
        var read = await ChatQueryReader.ReadAsync(context.Request, options.MaxQueryLength, cancellationToken).ConfigureAwait(false);
        if (read.Problem is not null)
        {
            await read.Problem.ExecuteAsync(context).ConfigureAwait(false);
            return null;
        }

        var query = read.Query!;

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

            var prepared = await services.GetRequiredService<ChatPipeline>().PrepareAsync(query, cancellationToken).ConfigureAwait(false);
            if (prepared is null)
            {
                await ChatProblems.ChatbotNotFound(query.ChatbotId).ExecuteAsync(context).ConfigureAwait(false);
                return Release();
            }

            return new Admitted(prepared, options, caller, admission, lease, tracked);
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

    /// <summary>
    /// A question let in: its prepared answer, its slots and its place in the drain count, and the tokens its answer used,
    /// charged to the caller's budget as its terminal event goes out (so a question sent on <c>done</c> sees the charge),
    /// or when it is disposed for an answer that ended without one.
    /// </summary>
    private sealed class Admitted(PreparedChat prepared, ChatStreamOptions options, ChatCaller caller, ChatAdmission admission, IDisposable lease, IDisposable tracked) : IAsyncDisposable
    {
        private long _tokens;
        private bool _charged;

        public PreparedChat Prepared { get; } = prepared;

        public ChatStreamOptions Options { get; } = options;

        /// <summary>Counts what an event costs the caller's budget (the model's count when it gave one, else the token events seen); charges it on the terminal event.</summary>
        public ValueTask ObserveAsync(in ChatStreamEvent streamEvent)
        {
            if (streamEvent.Kind == ChatStreamEventKind.Token)
            {
                _tokens++;
                return ValueTask.CompletedTask;
            }

            if (streamEvent.Done?.Usage?.OutputTokens is { } output)
            {
                _tokens = output;
            }

            return streamEvent.IsTerminal ? ChargeAsync() : ValueTask.CompletedTask;
        }

        public async ValueTask DisposeAsync()
        {
            tracked.Dispose();
            lease.Dispose();
            await ChargeAsync().ConfigureAwait(false);
        }

        private ValueTask ChargeAsync()
        {
            if (_charged)
            {
                return ValueTask.CompletedTask;
            }

            _charged = true;
            return admission.Budget.ChargeAsync(caller.LimitKey, _tokens);
        }
    }
}
