using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;

namespace StreamingChat.AspNetCore;

/// <summary>One response an endpoint may give, as its type tells the OpenAPI document (see <see cref="DescribedResult"/>).</summary>
internal interface IResponseDescription
{
    /// <summary>Adds the response's metadata (status, media type, body type, problem codes) to the endpoint.</summary>
    static abstract void Describe(EndpointBuilder endpoint);
}

/// <summary>
/// An endpoint's result whose type lists every response the endpoint may give, as <c>Results&lt;T1, T2&gt;</c> and
/// <c>ServerSentEventsResult&lt;T&gt;</c> do: the document is built from the handler's return type
/// (<see cref="IEndpointMetadataProvider"/>), so a handler and its documentation cannot drift apart. The work runs when
/// the result executes: a streamed answer writes to the response itself, so it cannot be one value returned at the end.
/// </summary>
internal abstract class DescribedResult : IResult
{
    private readonly Func<HttpContext, Task> _execute;

    /// <summary>A result that does <paramref name="execute"/> when it runs.</summary>
    protected DescribedResult(Func<HttpContext, Task> execute) => _execute = execute;

    /// <inheritdoc/>
    public Task ExecuteAsync(HttpContext httpContext) => _execute(httpContext);
}

/// <inheritdoc cref="DescribedResult"/>
/// <typeparam name="T1">A response the endpoint may give.</typeparam>
internal sealed class Responses<T1> : DescribedResult, IEndpointMetadataProvider
    where T1 : IResponseDescription
{
    /// <summary>A result that does <paramref name="execute"/> when it runs.</summary>
    public Responses(Func<HttpContext, Task> execute)
        : base(execute)
    {
    }

    /// <inheritdoc/>
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => T1.Describe(builder);
}

/// <inheritdoc cref="DescribedResult"/>
/// <typeparam name="T1">A response the endpoint may give.</typeparam>
/// <typeparam name="T2">Another.</typeparam>
internal sealed class Responses<T1, T2> : DescribedResult, IEndpointMetadataProvider
    where T1 : IResponseDescription
    where T2 : IResponseDescription
{
    /// <summary>A result that does <paramref name="execute"/> when it runs.</summary>
    public Responses(Func<HttpContext, Task> execute)
        : base(execute)
    {
    }

    /// <summary>A result that is <paramref name="result"/>.</summary>
    public Responses(IResult result)
        : base(result.ExecuteAsync)
    {
    }

    /// <inheritdoc/>
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        T1.Describe(builder);
        T2.Describe(builder);
    }
}

/// <inheritdoc cref="DescribedResult"/>
/// <typeparam name="T1">A response the endpoint may give.</typeparam>
/// <typeparam name="T2">Another.</typeparam>
/// <typeparam name="T3">Another.</typeparam>
internal sealed class Responses<T1, T2, T3> : DescribedResult, IEndpointMetadataProvider
    where T1 : IResponseDescription
    where T2 : IResponseDescription
    where T3 : IResponseDescription
{
    /// <summary>A result that does <paramref name="execute"/> when it runs.</summary>
    public Responses(Func<HttpContext, Task> execute)
        : base(execute)
    {
    }

    /// <summary>A result that is <paramref name="result"/>.</summary>
    public Responses(IResult result)
        : base(result.ExecuteAsync)
    {
    }

    /// <inheritdoc/>
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        T1.Describe(builder);
        T2.Describe(builder);
        T3.Describe(builder);
    }
}

/// <summary>A request body of JSON in <typeparamref name="TBody"/>'s shape, on the handler that reads it itself.</summary>
/// <typeparam name="TBody">The body's shape (an <c>ApiShapes</c> record).</typeparam>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class AcceptsJsonAttribute<TBody> : Attribute, IAcceptsMetadata
{
    /// <summary>Whether the body may be left out.</summary>
    public bool Optional { get; init; }

    IReadOnlyList<string> IAcceptsMetadata.ContentTypes { get; } = ["application/json"];

    Type? IAcceptsMetadata.RequestType => typeof(TBody);

    bool IAcceptsMetadata.IsOptional => Optional;
}
