using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>
/// Reads and validates a <see cref="ChatQuery"/> body by API.md's rules. Written over the raw body rather than model
/// binding so that every refusal is precise: 415 for a body that is not JSON, 413 past 64 KiB (counted as it is read,
/// whatever Content-Length says), and 400 with an <c>errors</c> map naming each bad field, unknown and duplicate fields
/// included.
/// </summary>
internal static partial class ChatQueryReader
{
    /// <summary>The largest body accepted (API.md: 64 KiB).</summary>
    public const int MaxBodyBytes = 64 * 1024;

    private const string QueryField = "query";
    private const string ChatbotIdField = "chatbotId";
    private const string SessionIdField = "sessionId";
    private const string EnableTtsField = "enableTTS";
    private const string UserIdField = "userId";
    private const string BodyKey = "body";

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex ChatbotIdPattern();

    public static Task<ChatQueryReadResult> ReadAsync(HttpRequest request, int maxQueryLength, CancellationToken cancellationToken)
        => ReadAsync(request, maxQueryLength, Validate, cancellationToken);

    /// <summary>
    /// Reads a JSON body of at most <see cref="MaxBodyBytes"/> (415 for anything but JSON, 413 past the limit, 400 for a
    /// body that is not a JSON object) and hands its root to <paramref name="validate"/>: the one body reader of every
    /// chat endpoint, whatever shape of question it takes.
    /// </summary>
    public static async Task<ChatQueryReadResult> ReadAsync(HttpRequest request, int maxQueryLength, Func<JsonElement, int, ChatQueryReadResult> validate, CancellationToken cancellationToken)
    {
        if (!IsJson(request.ContentType))
        {
            return new(null, ChatProblems.UnsupportedMediaType());
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            return new(null, ChatProblems.PayloadTooLarge(MaxBodyBytes));
        }

        var reader = request.BodyReader;
        while (true)
        {
            ReadResult read;
            try
            {
                read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (BadHttpRequestException ex)
            {
                // The server refused the body as it came (too slow: 408; cut short): the client is told, nothing is logged as a failure.
                return new(null, JsonBody.BodyRefused(ex));
            }

            var buffer = read.Buffer;
            if (buffer.Length > MaxBodyBytes)
            {
                reader.AdvanceTo(buffer.End);
                return new(null, ChatProblems.PayloadTooLarge(MaxBodyBytes));
            }

            if (read.IsCompleted || read.IsCanceled)
            {
                try
                {
                    return Parse(buffer, maxQueryLength, validate);
                }
                finally
                {
                    reader.AdvanceTo(buffer.End);
                }
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    internal static bool IsJson(string? contentType)
        => MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
            && mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            && (!mediaType.Charset.HasValue || mediaType.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));

    internal static ChatQueryReadResult Parse(ReadOnlySequence<byte> body, int maxQueryLength) => Parse(body, maxQueryLength, Validate);

    private static ChatQueryReadResult Parse(ReadOnlySequence<byte> body, int maxQueryLength, Func<JsonElement, int, ChatQueryReadResult> validate)
    {
        if (body.IsEmpty)
        {
            return Invalid(BodyKey, "A JSON body is required.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            return Invalid(BodyKey, $"The body is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Invalid(BodyKey, "The body must be a JSON object.");
            }

            return JsonText.FirstInvalidString(body) is { } where
                ? Invalid(where, "The text is not valid Unicode (invalid UTF-8, or half a surrogate pair).")
                : validate(document.RootElement, maxQueryLength);
        }
    }

    private static ChatQueryReadResult Validate(JsonElement root, int maxQueryLength)
    {
        // Over 60 lines: one pass over the body's fields, each field's rule a case, collecting every error rather than the first.
        if (root.ValueKind != JsonValueKind.Object)
        {
            return Invalid(BodyKey, "The body must be a JSON object.");
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        string? query = null, chatbotId = null, sessionId = null, userId = null;
        var enableTts = false;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            var name = property.Name;
            if (!seen.Add(name))
            {
                errors[name] = ["The field appears more than once."];
                continue;
            }

            var value = property.Value;
            switch (name)
            {
                case QueryField:
                    query = ReadString(value, name, errors, required: true);
                    CheckQuery(query, name, maxQueryLength, errors);
                    break;
                case ChatbotIdField:
                    chatbotId = ReadString(value, name, errors, required: true);
                    CheckChatbotId(chatbotId, name, errors);
                    break;
                case SessionIdField:
                    sessionId = ReadString(value, name, errors, required: false);
                    CheckId(sessionId, name, errors);
                    break;
                case UserIdField:
                    userId = ReadString(value, name, errors, required: false);
                    CheckId(userId, name, errors);
                    break;
                case EnableTtsField:
                    if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
                    {
                        enableTts = value.GetBoolean();
                    }
                    else if (value.ValueKind != JsonValueKind.Null)
                    {
                        errors[name] = ["The field must be true or false."];
                    }

                    break;
                default:
                    errors[name] = ["The field is not known. Allowed: query, chatbotId, sessionId, enableTTS, userId."];
                    break;
            }
        }

        foreach (var required in (ReadOnlySpan<string>)[QueryField, ChatbotIdField])
        {
            if (!seen.Contains(required))
            {
                errors[required] = ["The field is required."];
            }
        }

        return errors.Count > 0
            ? new(null, ChatProblems.Invalid(errors))
            : new(new ChatQuery(query!, chatbotId!, sessionId ?? "", enableTts, userId), null); // "": the server names the session
    }

    internal static string? ReadString(JsonElement value, string name, Dictionary<string, string[]> errors, bool required)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                errors[name] = ["The field is required."];
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            errors[name] = ["The field must be a string."];
            return null;
        }

        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            errors[name] = ["The field is not valid UTF-8."];
            return null;
        }
    }

    /// <summary>A question's rules: not blank, at most <paramref name="maxQueryLength"/> characters, no control characters but tab and line breaks.</summary>
    internal static void CheckQuery(string? query, string name, int maxQueryLength, Dictionary<string, string[]> errors)
    {
        if (query is null)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(query))
        {
            errors[name] = ["The query must not be blank."];
        }
        else if (query.Length > maxQueryLength)
        {
            errors[name] = [$"The query may have at most {maxQueryLength} characters."];
        }
        else if (query.AsSpan().ContainsAnyInRange('\0', '\b') || query.AsSpan().ContainsAnyInRange('\u000B', '\u000C') || query.AsSpan().ContainsAnyInRange('\u000E', '\u001F') || query.Contains('\u007F'))
        {
            errors[name] = ["The query must not contain control characters other than tab and line breaks."];
        }
    }

    /// <summary>A chatbot id's rule: 1–64 of A-Z a-z 0-9 _ -.</summary>
    internal static void CheckChatbotId(string? chatbotId, string name, Dictionary<string, string[]> errors)
    {
        if (chatbotId is not null && !ChatbotIdPattern().IsMatch(chatbotId))
        {
            errors[name] = ["The chatbotId must be 1–64 of A-Z a-z 0-9 _ -."];
        }
    }

    internal static void CheckId(string? id, string name, Dictionary<string, string[]> errors)
    {
        if (id is null)
        {
            return;
        }

        if (id.Length is 0 or > 128)
        {
            errors[name] = [$"The {name} must have 1–128 characters."];
        }
        else if (id.AsSpan().ContainsAnyInRange('\0', '\u001F') || id.AsSpan().ContainsAnyInRange('\u007F', '\u009F'))
        {
            errors[name] = [$"The {name} must not contain control characters."];
        }
    }

    private static ChatQueryReadResult Invalid(string key, string message)
        => new(null, ChatProblems.Invalid(new Dictionary<string, string[]>(StringComparer.Ordinal) { [key] = [message] }));
}

/// <summary>A query read from a request, or the refusal to answer with.</summary>
internal readonly record struct ChatQueryReadResult(ChatQuery? Query, IResult? Problem, string? RunId = null);
