using System.Net;

namespace StreamingChat.Core;

/// <summary>
/// Turns an exception from the model call into an <c>error</c> event. Providers' own exception types (for example
/// the OpenAI client's) are classified by a classifier registered next to that provider; Core knows only the framework's.
/// </summary>
public interface IChatErrorClassifier
{
    /// <summary>The error for <paramref name="exception"/>, or null when this classifier does not know it.</summary>
    AnswerError? Classify(Exception exception);
}

/// <summary>Classifies failures by HTTP status the way API.md's codes read.</summary>
public static class ChatErrors
{
    /// <summary>The error for an upstream HTTP status; null for a status that is not a failure.</summary>
    public static AnswerError? FromStatus(int status) => status switch
    {
        429 => new(ChatErrorCodes.UpstreamRateLimited, "The model provider is rate limiting requests.", Retryable: true),
        408 or 504 => new(ChatErrorCodes.UpstreamTimeout, $"The model provider timed out (HTTP {status}).", Retryable: true),
        >= 500 => new(ChatErrorCodes.UpstreamUnavailable, $"The model provider failed (HTTP {status}).", Retryable: true),
        >= 400 => new(ChatErrorCodes.InternalError, $"The model provider refused the request (HTTP {status}).", Retryable: false),
        0 => new(ChatErrorCodes.UpstreamUnavailable, "The model provider could not be reached.", Retryable: true),
        _ => null,
    };

    /// <summary>The error for an exception the framework throws; <see cref="ChatErrorCodes.InternalError"/> when unknown.</summary>
    public static AnswerError FromException(Exception exception) => exception switch
    {
        HttpRequestException { StatusCode: HttpStatusCode status } => FromStatus((int)status) ?? Internal,
        HttpRequestException or IOException => new(ChatErrorCodes.UpstreamUnavailable, "The connection to the model provider failed.", Retryable: true),
        TimeoutException or OperationCanceledException => new(ChatErrorCodes.UpstreamTimeout, "The model provider did not answer in time.", Retryable: true),
        _ when exception.InnerException is { } inner => FromException(inner),
        _ => Internal,
    };

    /// <summary>The error for a failure nobody classified.</summary>
    public static AnswerError Internal { get; } = new(ChatErrorCodes.InternalError, "The answer failed.", Retryable: false);
}
