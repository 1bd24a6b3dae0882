using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;

namespace StreamingChat.AspNetCore;

/// <summary>
/// Checks what <see cref="JsonDocument"/> does not while it parses: that every string of a JSON text, property names
/// included, is text. Its parser checks the structure only; a string of invalid UTF-8, or an escape that leaves half a
/// surrogate pair, fails later when the string is read, as an exception where a 400 belongs.
/// </summary>
internal static class JsonText
{
    /// <summary>
    /// Where the first string that is not text is: the name of the member whose value it is (in a nested value, the
    /// nearest member), or <c>body</c> for a name or a string outside any member; null when every string is text. The text
    /// must be well-formed JSON (parse it first).
    /// </summary>
    public static string? FirstInvalidString(ReadOnlySequence<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        var member = "body";
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!IsText(ref reader, out var name))
                {
                    return "body";
                }

                member = name ?? member;
            }
            else if (reader.TokenType == JsonTokenType.String && !IsText(ref reader, out _))
            {
                return member;
            }
        }

        return null;
    }

    /// <summary>Whether the current string decodes; its text when it is short (a name, to say where).</summary>
    private static bool IsText(ref Utf8JsonReader reader, out string? text)
    {
        text = null;
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            if (!Utf8.IsValid(reader.ValueSpan))
            {
                return false;
            }

            text = reader.ValueSpan.Length <= 64 ? System.Text.Encoding.UTF8.GetString(reader.ValueSpan) : null;
            return true;
        }

        var length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        var buffer = ArrayPool<char>.Shared.Rent(Math.Max(16, length));
        try
        {
            // Unescaping, then transcoding to UTF-16: both throw on what is not text (invalid UTF-8, half a surrogate pair).
            var written = reader.CopyString(buffer);
            text = written <= 64 ? new string(buffer, 0, written) : null;
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }
}
