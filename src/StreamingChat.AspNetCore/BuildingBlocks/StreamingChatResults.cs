using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace StreamingChat.AspNetCore;

/// <summary>
/// Answers in the shapes of StreamingChat's own endpoints, for an application's endpoints beside them: problem details with a
/// stable <c>code</c>, JSON written as the product writes it, and event streams relayed
/// with the product's heartbeats, flushing, ids and drain.
/// </summary>
public static partial class StreamingChatResults
{
    /// <summary>An RFC 9457 problem with a <c>code</c> member, as every refusal of the HTTP contract is.</summary>
    /// <param name="statusCode">The HTTP status.</param>
    /// <param name="code">The stable, machine-readable code (for example <c>feature_not_found</c>).</param>
    /// <param name="title">A short, human-readable summary.</param>
    /// <param name="detail">What happened in this case; optional.</param>
    /// <returns>The result to return from an endpoint.</returns>
    public static IResult Problem(int statusCode, string code, string title, string? detail = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        ArgumentException.ThrowIfNullOrEmpty(title);
        return ChatProblems.Problem(statusCode, code, title, detail);
    }

    /// <summary>A 400 <c>invalid_request</c> validation problem naming each field that is wrong.</summary>
    /// <param name="errors">Messages by field name.</param>
    /// <returns>The result to return from an endpoint.</returns>
    public static IResult ValidationProblem(IDictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return ChatProblems.Invalid(errors);
    }

    /// <summary>
    /// A 200 JSON answer written straight to the response by <paramref name="write"/>, never cached, with text kept as it is
    /// (a quote is written <c>\"</c>, not <c>\u0022</c>).
    /// </summary>
    /// <param name="write">Writes the one JSON value of the body.</param>
    /// <returns>The result to return from an endpoint.</returns>
    public static IResult Json(Action<Utf8JsonWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        return new JsonWriterResult(write);
    }

    private sealed class JsonWriterResult(Action<Utf8JsonWriter> write) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => ChatJson.WriteResponseAsync(httpContext, write);
    }
}
