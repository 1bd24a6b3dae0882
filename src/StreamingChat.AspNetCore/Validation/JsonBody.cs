using System.Text.Json;
using Microsoft.AspNetCore.Http;

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
        int read;
        while ((read = await request.Body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            body.Write(buffer, 0, read);
            if (body.Length > maxBytes)
            {
                return (null, ChatProblems.PayloadTooLarge(maxBytes));
            }
        }

        if (body.Length == 0 && optional)
        {
            return (null, null);
        }

        try
        {
            using var document = JsonDocument.Parse(body.GetBuffer().AsMemory(0, (int)body.Length));
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? (document.RootElement.Clone(), null)
                : (null, Invalid("body", "The body must be a JSON object."));
        }
        catch (JsonException)
        {
            return (null, Invalid("body", "The body is not valid JSON."));
        }
    }

    /// <summary>A 400 naming one field.</summary>
    public static IResult Invalid(string field, string message)
        => ChatProblems.Invalid(new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] });
}
