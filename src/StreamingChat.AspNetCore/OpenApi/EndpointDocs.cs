using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;

namespace StreamingChat.AspNetCore;

/// <summary>
/// What the OpenAPI document says of the endpoints that have no handler to describe them: the health probes (mapped as
/// middleware by <c>MapHealthChecks()</c>) and the refusals of the admin key (the group's authorization). Every other
/// endpoint is described by its handler's return type and attributes (<see cref="DescribedResult"/>).
/// </summary>
internal static class EndpointDocs
{
    /// <summary>
    /// A health endpoint: mapped as middleware, it has neither a handler nor a method for the explorer, so both are added
    /// (GET and HEAD, as load balancers ask; routing then takes only those).
    /// </summary>
    public static IEndpointConventionBuilder DocumentProbe(this IEndpointConventionBuilder builder, string tag, string summary)
        => builder.WithMetadata(new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head]), ((Func<HttpContext, Task>)Probe).Method, new TagsAttribute(tag), new EndpointSummaryAttribute(summary));

    /// <summary>A JSON answer of <typeparamref name="T"/>'s shape.</summary>
    public static IEndpointConventionBuilder ReturnsJson<T>(this IEndpointConventionBuilder builder, int statusCode = StatusCodes.Status200OK)
        => builder.WithMetadata(new ProducesResponseTypeMetadata(statusCode, typeof(T), ["application/json"]));

    /// <summary>An answer without a body, and what it means.</summary>
    public static IEndpointConventionBuilder Returns(this IEndpointConventionBuilder builder, int statusCode, string description)
    {
        builder.Add(endpoint => ResponseMetadata.Described(endpoint, new ProducesResponseTypeMetadata(statusCode, typeof(void), []) { Description = description }));
        return builder;
    }

    private static Task Probe(HttpContext context) => Task.CompletedTask;

    /// <summary>The refusal of a read behind the admin key (<c>StreamingChat:Admin:ProtectReads</c>).</summary>
    public static IEndpointConventionBuilder RefusesWithoutAdminKey(this IEndpointConventionBuilder builder)
        => builder
            .ProducesProblemCodes(StatusCodes.Status401Unauthorized, "unauthorized")
            .ProducesProblemCodes(StatusCodes.Status403Forbidden, "admin_disabled");
}
