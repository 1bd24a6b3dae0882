using System.ClientModel.Primitives;

namespace ChatbotHost;

/// <summary>
/// The OpenAI client's own retry policy (429 and 5xx resent with exponential backoff that honours <c>Retry-After</c>, and
/// only before the response starts, which for a streamed answer is before the first token), with every rate-limit
/// answer and every retry logged, so the deployment guide's <c>grep -i "rate limit"</c> finds them.
/// </summary>
internal sealed partial class UpstreamRetryPolicy(int maxRetries, ILogger logger) : ClientRetryPolicy(maxRetries)
{
    protected override bool ShouldRetry(PipelineMessage message, Exception? exception)
    {
        var retry = base.ShouldRetry(message, exception);
        var status = message.Response?.Status;
        if (status == 429)
        {
            var retryAfter = message.Response!.Headers.TryGetValue("Retry-After", out var value) && value is not null ? value : "not given";
            RateLimited(logger, retry ? "retrying" : "giving up", retryAfter);
        }
        else if (retry)
        {
            Retrying(logger, status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? exception?.GetType().Name ?? "?");
        }

        return retry;
    }

    protected override ValueTask<bool> ShouldRetryAsync(PipelineMessage message, Exception? exception)
        => ValueTask.FromResult(ShouldRetry(message, exception));

    [LoggerMessage(5001, LogLevel.Warning, "Upstream rate limit (429) from the model provider; {Action} (Retry-After: {RetryAfter}).")]
    internal static partial void RateLimited(ILogger logger, string action, string retryAfter);

    [LoggerMessage(5002, LogLevel.Warning, "Model provider answered {Status}; retrying before the first token.")]
    internal static partial void Retrying(ILogger logger, string status);
}
