using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace StreamingChat.AspNetCore;

/// <summary>What an admin key check decided.</summary>
internal enum AdminKeyResult
{
    /// <summary>The key matches a configured key.</summary>
    Accepted,

    /// <summary>No key, or a key that matches none (answer 401 <c>unauthorized</c>).</summary>
    Unauthorized,

    /// <summary>No key is configured, so admin endpoints are closed (answer 403 <c>admin_disabled</c>).</summary>
    Disabled,
}

/// <summary>
/// Checks admin keys in constant time: every configured key is compared (by SHA-256, so lengths leak nothing) whether
/// or not an earlier one matched.
/// </summary>
internal sealed class AdminKeyVerifier(IOptionsMonitor<AdminOptions> options)
{
    /// <summary>Checks <paramref name="presented"/> against the configured keys; the matching key's name when accepted.</summary>
    public (AdminKeyResult Result, string? Name) Verify(string? presented)
    {
        var keys = options.CurrentValue.Keys.Where(k => !string.IsNullOrEmpty(k.Key)).ToList();
        if (keys.Count == 0)
        {
            return (AdminKeyResult.Disabled, null);
        }

        if (string.IsNullOrEmpty(presented))
        {
            return (AdminKeyResult.Unauthorized, null);
        }

        var presentedHash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        string? name = null;
        foreach (var key in keys)
        {
            if (CryptographicOperations.FixedTimeEquals(presentedHash, SHA256.HashData(Encoding.UTF8.GetBytes(key.Key))))
            {
                name ??= key.Name;
            }
        }

        return name is null ? (AdminKeyResult.Unauthorized, null) : (AdminKeyResult.Accepted, name);
    }
}
