using System.Text.Json;
using Microsoft.AspNetCore.Http;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>
/// Reads a small JSON object body with the chat endpoint's refusals: 415 for a body that is not JSON, 413 past the limit
/// (counted as it is read), 400 <c>invalid_request</c> for malformed JSON or anything but an object.
/// </summary>
internal static class JsonBody
{
    /// <summary>The body's object (null for an empty body when <paramref name="optional"/>), or the refusal to answer with.</summary>
    public static async Task<(JsonElement? Root, IResult? Problem)> ReadObjectAsync(HttpRequest request, int maxBytes, bool optional, CancellationToken cancellationToken)
    {
        if (optional && request.ContentLength is 0 or null && string.IsNullOrEmpty(request.ContentType))
        {
            return (null, null);
        }

        if (!ChatQueryReader.IsJson(request.ContentType))
        {
            return (null, ChatProblems.UnsupportedMediaType());
        }

        if (request.ContentLength > maxBytes)
        {
            return (null, ChatProblems.PayloadTooLarge(maxBytes));
        }

        using var body = new MemoryStream();
        var buffer = new byte[Math.Min(maxBytes + 1, 16 * 1024)];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                body.Write(buffer, 0, read);
                if (body.Length > maxBytes)
                {
                    return (null, ChatProblems.PayloadTooLarge(maxBytes));
                }
            }
        }
        catch (BadHttpRequestException ex)
        {
            return (null, BodyRefused(ex));
        }

        if (body.Length == 0 && optional)
        {
            return (null, null);
        }

        try
        {
            var bytes = body.GetBuffer().AsMemory(0, (int)body.Length);
            using var document = JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, Invalid("body", "The body must be a JSON object."));
            }

            return JsonText.FirstInvalidString(new System.Buffers.ReadOnlySequence<byte>(bytes)) is { } where
                ? (null, Invalid(where, "The text is not valid Unicode (invalid UTF-8, or half a surrogate pair)."))
                : (document.RootElement.Clone(), null);
        }
        catch (JsonException)
        {
            return (null, Invalid("body", "The body is not valid JSON."));
        }
    }

    /// <summary>
    /// The refusal for a body the server stopped reading (Kestrel's <see cref="BadHttpRequestException"/>): its status, 408
    /// for a body sent too slowly, as <c>invalid_request</c>.
    /// </summary>
    public static IResult BodyRefused(BadHttpRequestException exception)
        => ChatProblems.Problem(exception.StatusCode, ChatErrorCodes.InvalidRequest,
            exception.StatusCode == StatusCodes.Status408RequestTimeout ? "The body came too slowly." : "The body could not be read.",
            exception.StatusCode == StatusCodes.Status408RequestTimeout ? "The server stopped waiting for the rest of the body; send it again." : "The request's body was refused by the server.");

    /// <summary>A 400 naming one field.</summary>
    public static IResult Invalid(string field, string message)
        => ChatProblems.Invalid(new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] });
}
