using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging;

namespace StreamingChat.AspNetCore;

/// <summary>
/// Session keys: a session's id and its owner's random id, signed and encrypted with ASP.NET Core Data Protection (with
/// <c>AddRedis()</c> the key ring lives in Redis, so any instance reads any instance's keys). A key names one session
/// and one owner; it cannot be guessed, altered, or used for another session.
/// </summary>
internal sealed class SessionKeys(IDataProtectionProvider provider, ILogger<SessionKeys> logger)
{
    private const string OwnerPrefix = "key:";
    private readonly IDataProtector _protector = provider.CreateProtector("StreamingChat.SessionKey.v1");

    /// <summary>A new owner for a session started by an anonymous caller.</summary>
    public static string NewOwner() => OwnerPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>The key that proves <paramref name="owner"/> owns <paramref name="sessionId"/>; null (logged) when the key ring cannot be reached.</summary>
    public string? Issue(string sessionId, string owner)
    {
        try
        {
            return _protector.Protect(sessionId + "\n" + owner[OwnerPrefix.Length..]);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            SessionLog.KeyNotIssued(logger, ex);
            return null;
        }
    }

    /// <summary>The owner <paramref name="key"/> proves for <paramref name="sessionId"/>; null for no key, a bad key, or another session's key.</summary>
    public string? OwnerOf(string sessionId, string? key)
    {
        if (string.IsNullOrEmpty(key) || key.Length > 1024)
        {
            return null;
        }

        try
        {
            var payload = _protector.Unprotect(key);
            var split = payload.IndexOf('\n', StringComparison.Ordinal);
            return split > 0 && payload.AsSpan(0, split).SequenceEqual(sessionId) ? OwnerPrefix + payload[(split + 1)..] : null;
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            return null;
        }
    }
}

/// <summary>The web package's log messages about sessions: event ids 2350–2399. Never a key, a session's id or its text.</summary>
internal static partial class SessionLog
{
    [LoggerMessage(2351, LogLevel.Warning, "A session key could not be issued (the Data Protection key ring cannot be reached); the answer goes out without one.")]
    public static partial void KeyNotIssued(ILogger logger, Exception exception);

    [LoggerMessage(2352, LogLevel.Warning, "The session's owner could not be read or recorded (the conversation store is away); the question is answered under the owner the caller proved.")]
    public static partial void StoreUnavailable(ILogger logger, Exception exception);
}
