using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Endpoint metadata for the OpenAPI document (<c>Microsoft.AspNetCore.OpenApi</c>'s <c>MapOpenApi()</c>) in StreamingChat's
/// terms: refusals as problem details naming their stable <c>code</c>s, and event-stream answers. Usable on any endpoint,
/// also one mapped with a <see cref="RequestDelegate"/>.
/// </summary>
public static class StreamingChatOpenApiExtensions
{
    /// <summary>The media type of an event stream.</summary>
    public const string EventStream = "text/event-stream";

    /// <summary>
    /// Describes a refusal: <paramref name="statusCode"/> with an <c>application/problem+json</c> body whose <c>code</c> is one
    /// of <paramref name="codes"/> (listed in the response's description, for example <c>invalid_request</c>).
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint's builder.</typeparam>
    /// <param name="builder">The endpoint.</param>
    /// <param name="statusCode">The HTTP status of the refusal.</param>
    /// <param name="codes">The <c>code</c> values the refusal may carry.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static TBuilder ProducesProblemCodes<TBuilder>(this TBuilder builder, int statusCode, params string[] codes)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(codes);
        builder.Add(endpoint => StreamingChat.AspNetCore.ResponseMetadata.Problem(endpoint, statusCode, codes));

        // The refusals' description is read from the endpoint's metadata when the document is built; it is put last once
        // every convention has run, so a description added after it does not hide the refusals.
        builder.Finally(StreamingChat.AspNetCore.ResponseMetadata.KeepDescriptionLast);
        return builder;
    }

    /// <summary>Describes a <c>200 text/event-stream</c> answer, with what its events are in the response's description.</summary>
    /// <typeparam name="TBuilder">The endpoint's builder.</typeparam>
    /// <param name="builder">The endpoint.</param>
    /// <param name="description">The events, for example <c>start, token…, then done or error</c>.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static TBuilder ProducesEventStream<TBuilder>(this TBuilder builder, string description)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(endpoint => StreamingChat.AspNetCore.ResponseMetadata.Described(endpoint, new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(string), [EventStream]) { Description = description }));
        return builder;
    }
}
