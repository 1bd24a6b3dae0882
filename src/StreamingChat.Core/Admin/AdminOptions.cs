using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace StreamingChat.Core;

/// <summary>Admin keys, bound from <c>StreamingChat:Admin</c>. Admin endpoints are closed while none is configured.</summary>
public sealed class AdminOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "StreamingChat:Admin";

    /// <summary>The keys that open admin endpoints; never printed.</summary>
    public List<string> ApiKeys { get; set; } = [];
}

/// <summary>What an admin key check decided.</summary>
public enum AdminKeyResult
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
public sealed class AdminKeyVerifier(IOptionsMonitor<AdminOptions> options)
{
    /// <summary>Checks <paramref name="presented"/> against the configured keys.</summary>
    public AdminKeyResult Verify(string? presented)
    {
        var keys = options.CurrentValue.ApiKeys.Where(k => !string.IsNullOrEmpty(k)).ToList();
        if (keys.Count == 0)
        {
            return AdminKeyResult.Disabled;
        }

        if (string.IsNullOrEmpty(presented))
        {
            return AdminKeyResult.Unauthorized;
        }

        var presentedHash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        var match = false;
        foreach (var key in keys)
        {
            match |= CryptographicOperations.FixedTimeEquals(presentedHash, SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        }

        return match ? AdminKeyResult.Accepted : AdminKeyResult.Unauthorized;
    }
}
