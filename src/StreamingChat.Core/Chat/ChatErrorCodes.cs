namespace StreamingChat.Core;

/// <summary>The error codes of API.md: in <c>error</c> events and in problem details' <c>code</c> member.</summary>
public static class ChatErrorCodes
{
    /// <summary>The model's provider refused for rate (HTTP 429).</summary>
    public const string UpstreamRateLimited = "upstream_rate_limited";

    /// <summary>The model's provider failed or could not be reached.</summary>
    public const string UpstreamUnavailable = "upstream_unavailable";

    /// <summary>The model took too long to start or went silent.</summary>
    public const string UpstreamTimeout = "upstream_timeout";

    /// <summary>This instance is shutting down.</summary>
    public const string ServerDraining = "server_draining";

    /// <summary>Anything else.</summary>
    public const string InternalError = "internal_error";

    /// <summary>The request failed validation.</summary>
    public const string InvalidRequest = "invalid_request";

    /// <summary>No enabled chatbot has that id.</summary>
    public const string ChatbotNotFound = "chatbot_not_found";

    /// <summary>The body is over 64 KiB.</summary>
    public const string PayloadTooLarge = "payload_too_large";

    /// <summary>The body is not JSON.</summary>
    public const string UnsupportedMediaType = "unsupported_media_type";

    /// <summary>Too many requests from this caller.</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>Too much load on this instance.</summary>
    public const string Overloaded = "overloaded";

    /// <summary>The caller has spent its token budget for the window.</summary>
    public const string QuotaExceeded = "quota_exceeded";

    /// <summary>The session does not exist or is not the caller's (one answer for both).</summary>
    public const string SessionNotFound = "session_not_found";

    /// <summary>A session of the requested id exists already and is another caller's.</summary>
    public const string SessionExists = "session_exists";

    /// <summary>The caller must sign in.</summary>
    public const string Unauthorized = "unauthorized";

    /// <summary>The answer is unknown, has expired, or is someone else's (one body for all three).</summary>
    public const string AnswerNotFound = "answer_not_found";

    /// <summary>The session's previous answer is still running; the problem names it in <c>messageId</c>.</summary>
    public const string AnswerInProgress = "answer_in_progress";

    /// <summary>The answer ended without its producer finishing it: no reader stayed, or the instance producing it died. Retryable.</summary>
    public const string AnswerLost = "answer_lost";

    /// <summary>An approval that is unknown, expired, or someone else's (one answer for all three).</summary>
    public const string ApprovalNotFound = "approval_not_found";

    /// <summary>An approval answered already, from any tab or instance; the problem carries the first decision.</summary>
    public const string ApprovalAnswered = "approval_answered";
}
