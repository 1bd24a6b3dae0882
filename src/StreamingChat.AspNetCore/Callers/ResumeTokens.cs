using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging;

namespace StreamingChat.AspNetCore;

/// <summary>
/// Resume tokens: an answer's id signed and encrypted with Data Protection, carried in the stream's <c>Location</c> URL so a
/// browser's <c>EventSource</c>, which cannot send headers, resumes from the URL alone. A token lets its holder read that
/// one answer while its log is kept; it does not stop it, read another answer, or read the session.
/// </summary>
internal sealed class ResumeTokens(IDataProtectionProvider provider, ILogger<ResumeTokens> logger)
{
    private readonly IDataProtector _protector = provider.CreateProtector("StreamingChat.ResumeToken.v1");

    /// <summary>A token for <paramref name="messageId"/>; null (logged) when the key ring cannot be reached.</summary>
    public string? Issue(string messageId)
    {
        try
        {
            return _protector.Protect(messageId);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            SessionLog.KeyNotIssued(logger, ex);
            return null;
        }
    }

    /// <summary>Whether <paramref name="token"/> was issued for <paramref name="messageId"/>.</summary>
    public bool Allows(string? token, string messageId)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 1024)
        {
            return false;
        }

        try
        {
            return _protector.Unprotect(token) == messageId;
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            return false;
        }
    }
}
