using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace StreamingChat.AspNetCore;

/// <summary>Reading a request as StreamingChat's own endpoints do, for an application's endpoints beside them.</summary>
public static class StreamingChatRequests
{
    /// <summary>
    /// Reads a small JSON object body with the refusals of the HTTP contract: 415 <c>unsupported_media_type</c> for a body that
    /// is not JSON, 413 <c>payload_too_large</c> past <paramref name="maxBytes"/> (counted as it is read, whatever
    /// Content-Length says), 400 <c>invalid_request</c> for malformed JSON or anything but an object.
    /// </summary>
    /// <param name="request">The request whose body is read.</param>
    /// <param name="maxBytes">The most bytes the body may have.</param>
    /// <param name="optional">Whether an empty body is allowed (then both parts of the answer are null).</param>
    /// <param name="cancellationToken">Ends the read, usually <see cref="HttpContext.RequestAborted"/>.</param>
    /// <returns>The body's object, or the problem to answer with: exactly one of them is set unless the body was optional and empty.</returns>
    /// <exception cref="OperationCanceledException">The read was cancelled.</exception>
    public static Task<(JsonElement? Root, IResult? Problem)> ReadJsonObjectAsync(HttpRequest request, int maxBytes, bool optional = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        return JsonBody.ReadObjectAsync(request, maxBytes, optional, cancellationToken);
    }

    /// <summary>
    /// The signed-in user's id as StreamingChat owns sessions by it and keys the rollout on it: from any authenticated identity
    /// but the admin key's, its <c>NameIdentifier</c>, <c>sub</c> or name claim.
    /// </summary>
    /// <param name="user">The request's user.</param>
    /// <returns>The id, or null when nobody is signed in.</returns>
    public static string? UserId(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return ChatCallers.UserId(user);
    }
}
