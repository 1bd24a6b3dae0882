using System.ComponentModel.DataAnnotations;

namespace StreamingChat.AspNetCore;

/// <summary>Who owns a session (API.md "Callers and sessions").</summary>
public enum SessionOwnership
{
    /// <summary>The holder of the session's key, issued with its first answer; a signed-in caller's sessions are the user's.</summary>
    Key,

    /// <summary>The signed-in user; anonymous chat is refused with <c>401 unauthorized</c>.</summary>
    User,

    /// <summary>Nobody: any caller who knows a session's id may use it. Only behind a gateway that authorizes callers.</summary>
    None,
}

/// <summary>Sessions and their owners, bound from <c>StreamingChat:Sessions</c>.</summary>
public sealed class SessionsOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "StreamingChat:Sessions";

    /// <summary>Who owns a session (default <see cref="SessionOwnership.Key"/>).</summary>
    public SessionOwnership Ownership { get; set; } = SessionOwnership.Key;

    /// <summary>Whether anonymous callers are refused with <c>401 unauthorized</c> (always so with <see cref="SessionOwnership.User"/>).</summary>
    public bool RequireAuthenticatedCaller { get; set; }

    /// <summary>The most turns <c>GET /api/chat/sessions/{id}</c> returns in one page (default 200).</summary>
    [Range(1, 10_000)]
    public int MaxPageSize { get; set; } = 200;

    /// <summary>Whether an anonymous caller is refused: <see cref="RequireAuthenticatedCaller"/> or <see cref="SessionOwnership.User"/>.</summary>
    internal bool AnonymousRefused => RequireAuthenticatedCaller || Ownership == SessionOwnership.User;
}
