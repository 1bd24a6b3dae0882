using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>A session the caller may use: its id, the owner its turns are stored with, and the session key to hand back.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="Owner">The owner recorded with its turns; null when sessions have no owners.</param>
/// <param name="SessionKey">The key to send back (<c>X-Session-Key</c>, <c>start.sessionKey</c>) when the caller holds the session by key.</param>
internal sealed record SessionGrant(string SessionId, string? Owner, string? SessionKey);

/// <summary>
/// Decides whether a caller may use a session, by <see cref="SessionsOptions.Ownership"/>: the one place that applies
/// API.md's "Callers and sessions". A session that is not the caller's gives null, exactly as one that does not exist,
/// so the endpoints answer both with one <c>404 session_not_found</c>.
/// </summary>
internal sealed class SessionAccess(IConversationStore store, SessionKeys keys, IOptionsMonitor<SessionsOptions> options, TimeProvider time, ILogger<SessionAccess> logger)
{
    /// <summary>The header that carries a session's key, both ways.</summary>
    public const string KeyHeader = "X-Session-Key";

    public SessionOwnership Ownership => options.CurrentValue.Ownership;

    /// <summary>
    /// The session a question is asked in: <paramref name="sessionId"/> when the caller owns it or it is new (then recorded
    /// as the caller's, in one atomic step), a new server-named one when it is null; null when it is someone else's.
    /// </summary>
    public async Task<SessionGrant?> OpenForQuestionAsync(HttpContext context, ChatCaller caller, string? sessionId, CancellationToken cancellationToken)
    {
        sessionId ??= NewSessionId();
        var (owner, key) = Claimant(context, caller, sessionId);
        ConversationSession stored;
        try
        {
            stored = await store.GetOrCreateSessionAsync(new ConversationSession(sessionId, owner, time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The store is away: the question is still answered, under the owner the caller proved (a signed-in user, a
            // valid key) or a new one. Nothing leaks: the same store serves no history now and keeps no turn, and when it
            // is back the session's recorded owner decides again.
            SessionLog.StoreUnavailable(logger, ex);
            return new SessionGrant(sessionId, owner, KeyFor(sessionId, owner, key));
        }

        return stored.Owner == owner ? new SessionGrant(sessionId, owner, KeyFor(sessionId, owner, key)) : null;
    }

    /// <summary>An existing session the caller owns; null when it does not exist or is someone else's.</summary>
    public async Task<SessionGrant?> OpenExistingAsync(HttpContext context, ChatCaller caller, string sessionId, CancellationToken cancellationToken)
    {
        var stored = await store.GetSessionAsync(sessionId, cancellationToken).ConfigureAwait(false);
        if (Ownership == SessionOwnership.None)
        {
            // Turns stored before sessions were recorded still make a session, for those who need no owner.
            return stored is not null || (await store.GetRecentAsync(sessionId, 1, cancellationToken).ConfigureAwait(false)).Count > 0
                ? new SessionGrant(sessionId, null, null)
                : null;
        }

        var owner = caller.UserOwner ?? keys.OwnerOf(sessionId, PresentedKey(context));
        return owner is not null && stored?.Owner == owner ? new SessionGrant(sessionId, owner, caller.IsSignedIn ? null : PresentedKey(context)) : null;
    }

    /// <summary>
    /// Whether the caller owns something stored under <paramref name="owner"/> in <paramref name="sessionId"/> (an answer):
    /// as its signed-in user or by the session's key, or anyone when sessions have no owners. Reads no store.
    /// </summary>
    public bool Owns(HttpContext context, ChatCaller caller, string sessionId, string? owner)
    {
        if (Ownership == SessionOwnership.None || owner is null)
        {
            return Ownership == SessionOwnership.None;
        }

        return caller.UserOwner == owner || keys.OwnerOf(sessionId, PresentedKey(context)) == owner;
    }

    /// <summary>Who would own <paramref name="sessionId"/> if this caller started it, and the key they already hold for it.</summary>
    private (string? Owner, string? PresentedKey) Claimant(HttpContext context, ChatCaller caller, string sessionId)
    {
        if (Ownership == SessionOwnership.None)
        {
            return (null, null);
        }

        if (caller.UserOwner is { } user)
        {
            return (user, null);
        }

        var presented = PresentedKey(context);
        return keys.OwnerOf(sessionId, presented) is { } owner ? (owner, presented) : (SessionKeys.NewOwner(), null);
    }

    /// <summary>The key to hand back: the one presented, else a new one, for sessions held by key; none otherwise.</summary>
    private string? KeyFor(string sessionId, string? owner, string? presented)
        => owner is null || !owner.StartsWith("key:", StringComparison.Ordinal) ? null : presented ?? keys.Issue(sessionId, owner);

    private static string? PresentedKey(HttpContext context)
    {
        var key = context.Request.Headers[KeyHeader].ToString();
        return key.Length == 0 ? null : key;
    }

    /// <summary>A new session's id: a UUID, time-ordered so sessions sort by age.</summary>
    public static string NewSessionId() => Guid.CreateVersion7().ToString();
}
