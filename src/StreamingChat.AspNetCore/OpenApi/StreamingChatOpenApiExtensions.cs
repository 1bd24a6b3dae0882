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
        var type = statusCode == StatusCodes.Status400BadRequest ? typeof(HttpValidationProblemDetails) : typeof(ProblemDetails);
        builder.WithMetadata(new ProducesResponseTypeMetadata(statusCode, type, ["application/problem+json"]) { Description = CodesPrefix + string.Join(", ", codes) });

        // The document generator takes a response's description from its status alone, so the codes of every refusal
        // are also listed in the operation's description, once, after all conventions have run.
        builder.Finally(endpoint =>
        {
            if (endpoint.Metadata.Any(m => m is RefusalsDescribed))
            {
                return;
            }

            var refusals = endpoint.Metadata.OfType<ProducesResponseTypeMetadata>()
                .Where(m => m.Description?.StartsWith(CodesPrefix, StringComparison.Ordinal) == true)
                .OrderBy(m => m.StatusCode)
                .Select(m => $"- {m.StatusCode}: {m.Description![CodesPrefix.Length..]}");
            var before = endpoint.Metadata.OfType<IEndpointDescriptionMetadata>().LastOrDefault()?.Description;
            var description = (before is null ? "" : before + "\n\n") + "Refusals (problem details with a `code`):\n" + string.Join('\n', refusals);
            endpoint.Metadata.Add(new EndpointDescriptionAttribute(description));
            endpoint.Metadata.Add(RefusalsDescribed.Instance);
        });
        return builder;
    }

    private const string CodesPrefix = "Problem details; code: ";

    /// <summary>Marks an endpoint whose refusals are in its description already.</summary>
    private sealed class RefusalsDescribed
    {
        public static readonly RefusalsDescribed Instance = new();
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
        return builder.WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(string), [EventStream]) { Description = description });
    }
}
