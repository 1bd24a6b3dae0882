using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using StreamingChat.AspNetCore;
using StreamingChat.Core;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps a wire format of the application's own (an <see cref="AnswerFraming"/>) over StreamingChat's answers.</summary>
public static class AnswerFramingEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>GET <paramref name="pattern"/></c> (which names <c>{messageId}</c>): an answer read through
    /// <typeparamref name="TFraming"/>, as <c>GET /api/chat/answers/{messageId}/stream</c> reads it in our events: after
    /// <c>Last-Event-ID</c> (header, or the <c>lastEventId</c> query parameter), live to its end, to whoever holds its
    /// <c>resumeToken</c> or owns its session, from any instance with a shared log. Each response gets a framing of its own,
    /// made from the request's services.
    /// </summary>
    /// <typeparam name="TFraming">The wire format.</typeparam>
    /// <param name="endpoints">Where to map it.</param>
    /// <param name="pattern">The route, with a <c>{messageId}</c> parameter.</param>
    /// <returns>The endpoint, for its conventions.</returns>
    public static RouteHandlerBuilder MapAnswerStream<TFraming>(this IEndpointRouteBuilder endpoints, string pattern)
        where TFraming : AnswerFraming
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        if (!pattern.Contains("{messageId}", StringComparison.Ordinal))
        {
            throw new ArgumentException("The pattern names the answer as {messageId}.", nameof(pattern));
        }

        return endpoints.MapGet(pattern, (string messageId, HttpContext context, IAnswers answers, ResumeTokens tokens)
            => AnswerEndpoints.ReadThroughAsync(messageId, context, answers, tokens, () => Create<TFraming>(context)));
    }

    /// <summary>
    /// Maps <c>POST <paramref name="pattern"/></c>: a question in our body (API.md, as <c>POST /api/chat/query/stream</c>
    /// takes it), admitted the same way (callers and sessions, limits, drain, rollout), its answer relayed through
    /// <typeparamref name="TFraming"/> with a <c>Location</c> to resume it; a retry with <c>Last-Event-ID</c> resumes it.
    /// </summary>
    /// <typeparam name="TFraming">The wire format.</typeparam>
    /// <param name="endpoints">Where to map it.</param>
    /// <param name="pattern">The route.</param>
    /// <returns>The endpoint, for its conventions.</returns>
    public static RouteHandlerBuilder MapQuestionStream<TFraming>(this IEndpointRouteBuilder endpoints, string pattern)
        where TFraming : AnswerFraming
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        return endpoints.MapPost(pattern, (HttpContext context, IAnswers answers, ResumeTokens tokens)
            => ChatEndpoints.StreamThroughAsync(context, answers, tokens, () => Create<TFraming>(context), () => Create<TFraming>(context)));
    }

    private static TFraming Create<TFraming>(HttpContext context)
        where TFraming : AnswerFraming
        => ActivatorUtilities.CreateInstance<TFraming>(context.RequestServices);
}
