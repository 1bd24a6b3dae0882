using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;

namespace StreamingChat.AspNetCore;

/// <summary>
/// What the OpenAPI document says of StreamingChat's own endpoints. An endpoint mapped with a <see cref="RequestDelegate"/>
/// has no handler method for the API explorer to find, so the method is added as metadata: every endpoint is described.
/// </summary>
internal static class EndpointDocs
{
    /// <summary>The tag, summary and handler of an endpoint.</summary>
    public static TBuilder Document<TBuilder>(this TBuilder builder, Delegate handler, string tag, string summary)
        where TBuilder : IEndpointConventionBuilder
        => builder.WithHandlerMethod(handler.Method).WithMetadata(new TagsAttribute(tag), new EndpointSummaryAttribute(summary));

    /// <summary>The handler's method, unless the endpoint has one (a delegate handler does; the explorer takes exactly one).</summary>
    public static TBuilder WithHandlerMethod<TBuilder>(this TBuilder builder, System.Reflection.MethodInfo method)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint =>
        {
            if (!endpoint.Metadata.OfType<System.Reflection.MethodInfo>().Any())
            {
                endpoint.Metadata.Add(method);
            }
        });
        return builder;
    }

    /// <summary>
    /// A health endpoint: mapped as middleware, it has neither a handler nor a method for the explorer, so both are added
    /// (GET and HEAD, as load balancers ask; routing then takes only those).
    /// </summary>
    public static IEndpointConventionBuilder DocumentProbe(this IEndpointConventionBuilder builder, string tag, string summary)
        => builder.WithMetadata(new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head]), ((Func<HttpContext, Task>)Probe).Method, new TagsAttribute(tag), new EndpointSummaryAttribute(summary));

    /// <summary>A JSON request body of <typeparamref name="TBody"/>'s shape.</summary>
    public static IEndpointConventionBuilder AcceptsJson<TBody>(this IEndpointConventionBuilder builder, bool optional = false)
        => builder.WithMetadata(new AcceptsMetadata(["application/json"], typeof(TBody), optional));

    /// <summary>A JSON answer of <typeparamref name="T"/>'s shape.</summary>
    public static IEndpointConventionBuilder ReturnsJson<T>(this IEndpointConventionBuilder builder, int statusCode = StatusCodes.Status200OK)
        => builder.WithMetadata(new ProducesResponseTypeMetadata(statusCode, typeof(T), ["application/json"]));

    /// <summary>An answer without a body.</summary>
    public static IEndpointConventionBuilder Returns(this IEndpointConventionBuilder builder, int statusCode, string description)
        => builder.WithMetadata(new ProducesResponseTypeMetadata(statusCode, typeof(void), []) { Description = description });

    private static Task Probe(HttpContext context) => Task.CompletedTask;

    /// <summary>The refusals every question may get before its answer starts (API.md, "POST /api/chat/query/stream").</summary>
    public static IEndpointConventionBuilder RefusesQuestions(this IEndpointConventionBuilder builder)
        => builder
            .ProducesProblemCodes(StatusCodes.Status400BadRequest, "invalid_request")
            .ProducesProblemCodes(StatusCodes.Status401Unauthorized, "unauthorized")
            .ProducesProblemCodes(StatusCodes.Status404NotFound, "chatbot_not_found", "session_not_found")
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "answer_in_progress")
            .ProducesProblemCodes(StatusCodes.Status413PayloadTooLarge, "payload_too_large")
            .ProducesProblemCodes(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type")
            .ProducesProblemCodes(StatusCodes.Status429TooManyRequests, "rate_limited", "quota_exceeded")
            .ProducesProblemCodes(StatusCodes.Status503ServiceUnavailable, "server_draining", "overloaded");

    /// <summary>The refusal of a read behind the admin key (<c>StreamingChat:Admin:ProtectReads</c>).</summary>
    public static IEndpointConventionBuilder RefusesWithoutAdminKey(this IEndpointConventionBuilder builder)
        => builder
            .ProducesProblemCodes(StatusCodes.Status401Unauthorized, "unauthorized")
            .ProducesProblemCodes(StatusCodes.Status403Forbidden, "admin_disabled");
}
