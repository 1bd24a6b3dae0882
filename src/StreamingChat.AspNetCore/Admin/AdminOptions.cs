using Microsoft.Extensions.Options;

namespace StreamingChat.AspNetCore;

/// <summary>Admin keys and who may read operator figures, bound from <c>StreamingChat:Admin</c>. Admin endpoints are closed while no key is configured.</summary>
public sealed class AdminOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "StreamingChat:Admin";

    /// <summary>The shortest admin key accepted.</summary>
    public const int MinKeyLength = 32;

    /// <summary>Keys that open admin endpoints, recorded in the audit trail as <c>admin</c>; never printed.</summary>
    public List<string> ApiKeys { get; set; } = [];

    /// <summary>
    /// Keys with a name (<c>StreamingChat:Admin:NamedApiKeys:alice=…</c>): a change made with one is recorded in the audit
    /// trail as made by its name. Never printed.
    /// </summary>
    public Dictionary<string, string> NamedApiKeys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Whether the operator reads (<c>/api/metrics/streaming*</c>, the feature-flag GETs, <c>/metrics</c>) need an admin key
    /// too (default false: open, as the deployment guide calls them). The health endpoints stay open and then show each
    /// check's status without its data.
    /// </summary>
    public bool ProtectReads { get; set; }

    /// <summary>Wrong admin keys one client address may send per minute before it is refused with 429 for a while (default 10).</summary>
    public int MaxFailedAttemptsPerMinute { get; set; } = 10;

    /// <summary>Every configured key with the name a change made with it is recorded under.</summary>
    internal IEnumerable<(string Name, string Key)> Keys
        => ApiKeys.Select(k => ("admin", k)).Concat(NamedApiKeys.Select(p => (p.Key, p.Value)));
}

/// <summary>
/// Refuses admin keys that are blank, shorter than <see cref="AdminOptions.MinKeyLength"/> characters, or placeholders
/// copied from an example, at start-up and in <c>validate-config</c>; names the key by its place, never by its value.
/// </summary>
internal sealed class AdminOptionsValidator : IValidateOptions<AdminOptions>
{
    private static readonly string[] Placeholders = ["change", "replace", "example", "placeholder", "your-", "your_", "secret-key", "admin-key", "xxxx", "1234", "todo"];

    public ValidateOptionsResult Validate(string? name, AdminOptions options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.ApiKeys.Count; i++)
        {
            Check(options.ApiKeys[i], $"StreamingChat:Admin:ApiKeys:{i}", failures);
        }

        foreach (var (keyName, key) in options.NamedApiKeys)
        {
            Check(key, $"StreamingChat:Admin:NamedApiKeys:{keyName}", failures);
            if (keyName.Length is 0 or > 64 || keyName.Any(char.IsControl))
            {
                failures.Add($"StreamingChat:Admin:NamedApiKeys: the name '{keyName}' must have 1–64 printable characters.");
            }
        }

        if (options.MaxFailedAttemptsPerMinute is < 1 or > 10_000)
        {
            failures.Add("StreamingChat:Admin:MaxFailedAttemptsPerMinute must be from 1 to 10000.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(string? key, string where, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(key))
        {
            failures.Add($"{where} is blank: remove it or set a random key of at least {AdminOptions.MinKeyLength} characters (for example `openssl rand -hex 32`).");
        }
        else if (key.Length < AdminOptions.MinKeyLength)
        {
            failures.Add($"{where} has {key.Length} characters; an admin key needs at least {AdminOptions.MinKeyLength} (for example `openssl rand -hex 32`).");
        }
        else if (key.Distinct().Count() < 8 || Placeholders.Any(p => key.Contains(p, StringComparison.OrdinalIgnoreCase)))
        {
            failures.Add($"{where} looks like a placeholder, not a random key: set a random key (for example `openssl rand -hex 32`).");
        }
    }
}
