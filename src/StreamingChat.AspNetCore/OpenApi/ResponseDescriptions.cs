using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>The events a framing writes, for the OpenAPI document: each framing says what its stream holds.</summary>
internal interface IEventStreamDescription
{
    /// <summary>The events of the stream, in order (for example <c>start, token…, then done or error</c>).</summary>
    static abstract string EventsDescription { get; }
}

/// <summary><c>200 text/event-stream</c>: the answer's events, as <typeparamref name="TFraming"/> writes them.</summary>
/// <typeparam name="TFraming">The framing that writes the stream.</typeparam>
internal sealed class EventStream<TFraming> : IResponseDescription
    where TFraming : IEventStreamDescription
{
    /// <inheritdoc/>
    public static void Describe(EndpointBuilder endpoint)
        => ResponseMetadata.Described(endpoint, new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(string), [StreamingChatOpenApiExtensions.EventStream]) { Description = TFraming.EventsDescription });
}

/// <summary><c>200 application/json</c> in <typeparamref name="TBody"/>'s shape.</summary>
/// <typeparam name="TBody">The body's shape (an <c>ApiShapes</c> record).</typeparam>
internal sealed class Json<TBody> : IResponseDescription
{
    /// <inheritdoc/>
    public static void Describe(EndpointBuilder endpoint)
        => endpoint.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(TBody), ["application/json"]));
}

/// <summary><c>201 application/json</c> in <typeparamref name="TBody"/>'s shape, with a <c>Location</c>.</summary>
/// <typeparam name="TBody">The body's shape (an <c>ApiShapes</c> record).</typeparam>
internal sealed class CreatedJson<TBody> : IResponseDescription
{
    /// <inheritdoc/>
    public static void Describe(EndpointBuilder endpoint)
        => endpoint.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status201Created, typeof(TBody), ["application/json"]));
}

/// <summary><c>204</c> on a read: the caller has the answer's terminal event already.</summary>
internal sealed class AlreadyRead : IResponseDescription
{
    /// <inheritdoc/>
    public static void Describe(EndpointBuilder endpoint) => ResponseMetadata.NoContent(endpoint, "The caller has the terminal event already.");
}

/// <summary><c>204</c> on a session's resume: no answer of the session runs.</summary>
internal sealed class NoneRunning : IResponseDescription
{
    /// <inheritdoc/>
    public static void Describe(EndpointBuilder endpoint) => ResponseMetadata.NoContent(endpoint, "No answer of the session runs.");
}

/// <summary><c>204</c> on a delete: deleted, a running answer stopped first.</summary>
internal sealed class Deleted : IResponseDescription
{
    /// <inheritdoc/>
    public static void Describe(EndpointBuilder endpoint) => ResponseMetadata.NoContent(endpoint, "Deleted; a running answer was stopped first.");
}

/// <summary><c>204</c>: the rating is stored with the answer.</summary>
internal sealed class Rated : IResponseDescription
{
    /// <inheritdoc/>
    public static void Describe(EndpointBuilder endpoint) => ResponseMetadata.NoContent(endpoint, "Stored with the answer; a second rating replaces the first.");
}

/// <summary>The refusals every question may get before its answer starts (API.md, "POST /api/chat/query/stream"): <see cref="QuestionAdmission"/>'s.</summary>
internal sealed class QuestionRefusals : IResponseDescription
{
    /// <inheritdoc/>
    public static void Describe(EndpointBuilder endpoint)
    {
        ResponseMetadata.Problem(endpoint, StatusCodes.Status400BadRequest, ChatErrorCodes.InvalidRequest);
        ResponseMetadata.Problem(endpoint, StatusCodes.Status401Unauthorized, ChatErrorCodes.Unauthorized);
        ResponseMetadata.Problem(endpoint, StatusCodes.Status404NotFound, ChatErrorCodes.ChatbotNotFound, ChatErrorCodes.SessionNotFound);
        ResponseMetadata.Problem(endpoint, StatusCodes.Status409Conflict, ChatErrorCodes.AnswerInProgress);
        ResponseMetadata.Problem(endpoint, StatusCodes.Status413PayloadTooLarge, ChatErrorCodes.PayloadTooLarge);
        ResponseMetadata.Problem(endpoint, StatusCodes.Status415UnsupportedMediaType, ChatErrorCodes.UnsupportedMediaType);
        ResponseMetadata.Problem(endpoint, StatusCodes.Status429TooManyRequests, ChatErrorCodes.RateLimited, ChatErrorCodes.QuotaExceeded);
        ResponseMetadata.Problem(endpoint, StatusCodes.Status503ServiceUnavailable, ChatErrorCodes.ServerDraining, ChatErrorCodes.Overloaded);
    }
}

/// <summary>The refusals of an approval's answer: the question's, and an approval unknown (404) or answered already (409).</summary>
internal sealed class ApprovalRefusals : IResponseDescription
{
    /// <inheritdoc/>
    public static void Describe(EndpointBuilder endpoint)
    {
        ResponseMetadata.Problem(endpoint, StatusCodes.Status400BadRequest, ChatErrorCodes.InvalidRequest);
        ResponseMetadata.Problem(endpoint, StatusCodes.Status401Unauthorized, ChatErrorCodes.Unauthorized);
        ResponseMetadata.Problem(endpoint, StatusCodes.Status404NotFound, ChatErrorCodes.ApprovalNotFound, ChatErrorCodes.ChatbotNotFound);
        ResponseMetadata.Problem(endpoint, StatusCodes.Status409Conflict, ChatErrorCodes.ApprovalAnswered, ChatErrorCodes.AnswerInProgress);
        ResponseMetadata.Problem(endpoint, StatusCodes.Status413PayloadTooLarge, ChatErrorCodes.PayloadTooLarge);
        ResponseMetadata.Problem(endpoint, StatusCodes.Status415UnsupportedMediaType, ChatErrorCodes.UnsupportedMediaType);
        ResponseMetadata.Problem(endpoint, StatusCodes.Status429TooManyRequests, ChatErrorCodes.RateLimited, ChatErrorCodes.QuotaExceeded);
        ResponseMetadata.Problem(endpoint, StatusCodes.Status503ServiceUnavailable, ChatErrorCodes.ServerDraining, ChatErrorCodes.Overloaded);
    }
}

/// <summary>How an answer read in one piece may fail once it started: its error event as problem details.</summary>
internal sealed class AnswerFailures : IResponseDescription
{
    /// <inheritdoc/>
    public static void Describe(EndpointBuilder endpoint)
    {
        ResponseMetadata.Problem(endpoint, StatusCodes.Status500InternalServerError, ChatErrorCodes.InternalError, ChatErrorCodes.AnswerLost);
        ResponseMetadata.Problem(endpoint, StatusCodes.Status502BadGateway, ChatErrorCodes.UpstreamRateLimited, ChatErrorCodes.UpstreamUnavailable);
        ResponseMetadata.Problem(endpoint, StatusCodes.Status504GatewayTimeout, ChatErrorCodes.UpstreamTimeout);
    }
}

/// <summary><c>404 answer_not_found</c>: no such answer, or not the caller's (the same answer for both).</summary>
internal sealed class AnswerNotFound : IResponseDescription
{
    /// <inheritdoc/>
    public static void Describe(EndpointBuilder endpoint) => ResponseMetadata.Problem(endpoint, StatusCodes.Status404NotFound, ChatErrorCodes.AnswerNotFound);
}

/// <summary><c>404 session_not_found</c>: no such session, or not the caller's (the same answer for both).</summary>
internal sealed class SessionNotFound : IResponseDescription
{
    /// <inheritdoc/>
    public static void Describe(EndpointBuilder endpoint) => ResponseMetadata.Problem(endpoint, StatusCodes.Status404NotFound, ChatErrorCodes.SessionNotFound);
}

/// <summary>The refusals of a session's reads and deletes: sign-in required, or not found.</summary>
internal sealed class SessionRefusals : IResponseDescription
{
    /// <inheritdoc/>
    public static void Describe(EndpointBuilder endpoint)
    {
        ResponseMetadata.Problem(endpoint, StatusCodes.Status401Unauthorized, ChatErrorCodes.Unauthorized);
        ResponseMetadata.Problem(endpoint, StatusCodes.Status404NotFound, ChatErrorCodes.SessionNotFound);
    }
}

/// <summary>The refusals of a new session: its body, sign-in, an id that is another caller's, the caller's limits.</summary>
internal sealed class SessionCreateRefusals : IResponseDescription
{
    /// <inheritdoc/>
    public static void Describe(EndpointBuilder endpoint)
    {
        ResponseMetadata.Problem(endpoint, StatusCodes.Status400BadRequest, ChatErrorCodes.InvalidRequest);
        ResponseMetadata.Problem(endpoint, StatusCodes.Status401Unauthorized, ChatErrorCodes.Unauthorized);
        ResponseMetadata.Problem(endpoint, StatusCodes.Status409Conflict, ChatErrorCodes.SessionExists);
        ResponseMetadata.Problem(endpoint, StatusCodes.Status413PayloadTooLarge, ChatErrorCodes.PayloadTooLarge);
        ResponseMetadata.Problem(endpoint, StatusCodes.Status415UnsupportedMediaType, ChatErrorCodes.UnsupportedMediaType);
        ResponseMetadata.Problem(endpoint, StatusCodes.Status429TooManyRequests, ChatErrorCodes.RateLimited);
    }
}

/// <summary><c>400 invalid_request</c>: a query parameter out of its range.</summary>
internal sealed class InvalidRequest : IResponseDescription
{
    /// <inheritdoc/>
    public static void Describe(EndpointBuilder endpoint) => ResponseMetadata.Problem(endpoint, StatusCodes.Status400BadRequest, ChatErrorCodes.InvalidRequest);
}

/// <summary>Adds responses' metadata to an endpoint, the same way for the result types and for <c>ProducesProblemCodes()</c>.</summary>
internal static class ResponseMetadata
{
    /// <summary>The prefix of a refusal's description, followed by its codes.</summary>
    public const string CodesPrefix = "Problem details; code: ";

    /// <summary>A <c>204</c> with what it means.</summary>
    public static void NoContent(EndpointBuilder endpoint, string description)
        => Described(endpoint, new ProducesResponseTypeMetadata(StatusCodes.Status204NoContent, typeof(void), []) { Description = description });

    /// <summary>
    /// A response with what it means. The document generator takes a response's description from its status alone, so
    /// the meanings are written into the operation's description (<see cref="ResponsesDescription"/>).
    /// </summary>
    public static void Described(EndpointBuilder endpoint, ProducesResponseTypeMetadata response)
    {
        endpoint.Metadata.Add(response);
        if (!endpoint.Metadata.Any(m => m is ResponsesDescription))
        {
            endpoint.Metadata.Add(new ResponsesDescription(endpoint.Metadata));
        }
    }

    /// <summary>
    /// A refusal: <paramref name="status"/> with an <c>application/problem+json</c> body whose <c>code</c> is one of
    /// <paramref name="codes"/>, listed in the operation's description (<see cref="ResponsesDescription"/>).
    /// </summary>
    public static void Problem(EndpointBuilder endpoint, int status, params string[] codes)
    {
        var type = status == StatusCodes.Status400BadRequest ? typeof(HttpValidationProblemDetails) : typeof(ProblemDetails);
        Described(endpoint, new ProducesResponseTypeMetadata(status, type, ["application/problem+json"]) { Description = CodesPrefix + string.Join(", ", codes) });
    }

    /// <summary>Puts the responses' description last, so it is the one the document takes (run after every convention).</summary>
    public static void KeepDescriptionLast(EndpointBuilder endpoint)
    {
        if (endpoint.Metadata.OfType<ResponsesDescription>().FirstOrDefault() is { } responses)
        {
            endpoint.Metadata.Remove(responses);
            endpoint.Metadata.Add(responses);
        }
    }

    /// <summary>
    /// The operation's description: the one given before it, what each described answer means, then every refusal with
    /// its codes; read from the endpoint's metadata when the document is built, so it holds every response however it
    /// was added.
    /// </summary>
    private sealed class ResponsesDescription(IList<object> metadata) : IEndpointDescriptionMetadata
    {
        public string Description
        {
            get
            {
                var parts = new List<string>();
                if (metadata.TakeWhile(m => m != this).OfType<IEndpointDescriptionMetadata>().LastOrDefault()?.Description is { } before)
                {
                    parts.Add(before);
                }

                var described = metadata.OfType<ProducesResponseTypeMetadata>().Where(m => !string.IsNullOrEmpty(m.Description)).OrderBy(m => m.StatusCode).ToList();
                var answers = described.Where(m => !m.Description!.StartsWith(CodesPrefix, StringComparison.Ordinal))
                    .Select(m => $"- {m.StatusCode}{(m.ContentTypes.FirstOrDefault() is { } type ? $" ({type})" : "")}: {m.Description}").ToList();
                if (answers.Count > 0)
                {
                    parts.Add("Answers:\n" + string.Join('\n', answers));
                }

                var refusals = described.Where(m => m.Description!.StartsWith(CodesPrefix, StringComparison.Ordinal))
                    .Select(m => $"- {m.StatusCode}: {m.Description![CodesPrefix.Length..]}").ToList();
                if (refusals.Count > 0)
                {
                    parts.Add("Refusals (problem details with a `code`):\n" + string.Join('\n', refusals));
                }

                return string.Join("\n\n", parts);
            }
        }
    }
}
