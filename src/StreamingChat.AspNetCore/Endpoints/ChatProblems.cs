using Microsoft.AspNetCore.Http;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>The refusals of API.md as RFC 9457 problem details, each with its stable <c>code</c> member.</summary>
internal static class ChatProblems
{
    public static IResult Invalid(IDictionary<string, string[]> errors)
        => TypedResults.ValidationProblem(errors, title: "The request is not valid.", extensions: Code(ChatErrorCodes.InvalidRequest));

    public static IResult ChatbotNotFound(string chatbotId)
        => Problem(StatusCodes.Status404NotFound, ChatErrorCodes.ChatbotNotFound, "The chatbot was not found.", $"No enabled chatbot has the id '{chatbotId}'.");

    /// <summary>The one answer for a session that does not exist and for one that is not the caller's.</summary>
    public static IResult SessionNotFound()
        => Problem(StatusCodes.Status404NotFound, ChatErrorCodes.SessionNotFound, "The session was not found.", "No session of this id is yours.");

    /// <summary>An anonymous caller where sign-in is required.</summary>
    public static IResult SignInRequired(HttpContext context)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return Problem(StatusCodes.Status401Unauthorized, ChatErrorCodes.Unauthorized, "Sign in to chat.", "This service answers signed-in callers only.");
    }

    /// <summary>The one answer for an answer that does not exist, has expired, or is not the caller's.</summary>
    public static IResult AnswerNotFound()
        => Problem(StatusCodes.Status404NotFound, ChatErrorCodes.AnswerNotFound, "The answer was not found.", "No answer of this id is yours, or it is no longer kept.");

    /// <summary>A question in a session whose previous answer still runs, naming that answer.</summary>
    public static IResult AnswerInProgress(string messageId)
    {
        var extensions = Code(ChatErrorCodes.AnswerInProgress);
        extensions["messageId"] = messageId;
        return TypedResults.Problem(
            "The session's previous answer is still running; wait for it, resume it, or stop it.",
            statusCode: StatusCodes.Status409Conflict,
            title: "An answer is in progress.",
            extensions: extensions);
    }

    public static IResult ApprovalNotFound()
        => Problem(StatusCodes.Status404NotFound, ChatErrorCodes.ApprovalNotFound, "The approval was not found.", "No approval with this id waits in an answer of yours.");

    public static IResult ApprovalAnswered(ApprovalDecision decision)
    {
        var extensions = Code(ChatErrorCodes.ApprovalAnswered);
        extensions["approved"] = decision.Approved;
        if (decision.Reason is not null)
        {
            extensions["reason"] = decision.Reason;
        }

        return TypedResults.Problem(
            "The approval was answered already; the first answer stands and the tool runs at most once.",
            statusCode: StatusCodes.Status409Conflict,
            title: "The approval was answered.",
            extensions: extensions);
    }

    public static IResult PayloadTooLarge(long limit)
        => Problem(StatusCodes.Status413PayloadTooLarge, ChatErrorCodes.PayloadTooLarge, "The request body is too large.", $"The body may have at most {limit} bytes.");

    public static IResult UnsupportedMediaType()
        => Problem(StatusCodes.Status415UnsupportedMediaType, ChatErrorCodes.UnsupportedMediaType, "The request body must be JSON.", "Send the body as application/json (UTF-8).");

    /// <summary>An answer that failed, for the one-piece endpoint: the status says whose fault it was.</summary>
    public static IResult AnswerFailed(AnswerError error)
    {
        var status = error.Code switch
        {
            ChatErrorCodes.UpstreamTimeout => StatusCodes.Status504GatewayTimeout,
            ChatErrorCodes.UpstreamRateLimited or ChatErrorCodes.UpstreamUnavailable => StatusCodes.Status502BadGateway,
            ChatErrorCodes.ServerDraining or ChatErrorCodes.Overloaded => StatusCodes.Status503ServiceUnavailable,
            _ => StatusCodes.Status500InternalServerError,
        };
        var extensions = Code(error.Code);
        extensions["retryable"] = error.Retryable;
        return TypedResults.Problem(error.Message, statusCode: status, title: "The answer failed.", extensions: extensions);
    }

    public static IResult Problem(int status, string code, string title, string? detail = null)
        => TypedResults.Problem(detail, statusCode: status, title: title, extensions: Code(code));

    private static Dictionary<string, object?> Code(string code) => new(StringComparer.Ordinal) { ["code"] = code };
}
