using System.ComponentModel.DataAnnotations;
using StackExchange.Redis;

namespace StreamingChat.Core;

/// <summary>The Redis connection, bound from <c>StreamingChat:Redis</c>.</summary>
public sealed class RedisOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "StreamingChat:Redis";

    /// <summary>
    /// Where Redis is: a StackExchange.Redis configuration string (<c>host:6379,password=…</c>) or a URL
    /// (<c>redis://[:password@]host:6379[/db]</c>, <c>rediss://</c> for TLS). Never printed.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>The prefix of every key and channel this service uses, so several services can share one Redis (default <c>streamingchat:</c>).</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9_.:-]{1,64}$")]
    public string KeyPrefix { get; set; } = "streamingchat:";

    /// <summary>How long one connection attempt, and one command, may take before it counts as failed (default 2000 ms).</summary>
    [Range(100, 60_000)]
    public int TimeoutMilliseconds { get; set; } = 2000;

    /// <summary>
    /// Turns <see cref="ConnectionString"/> into StackExchange.Redis options that suit a service which must keep answering
    /// while Redis is away: start without it, reconnect in the background, and fail a command at once rather than queue it.
    /// </summary>
    public ConfigurationOptions ToConfigurationOptions()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new InvalidOperationException("No Redis connection string is configured.");
        }

        var options = ConfigurationOptions.Parse(RedisConnectionString.Normalize(ConnectionString));
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ConnectTimeout = TimeoutMilliseconds;
        options.SyncTimeout = TimeoutMilliseconds;
        options.AsyncTimeout = TimeoutMilliseconds;
        options.ConnectRetry = 1;
        options.KeepAlive = 5;
        options.ClientName ??= "streamingchat";
        return options;
    }
}

/// <summary>Reads the two ways Redis locations are written: StackExchange.Redis's own string and the <c>redis://</c> URL.</summary>
internal static class RedisConnectionString
{
    /// <summary>
    /// Returns a StackExchange.Redis configuration string for <paramref name="value"/>: a <c>redis://</c> or
    /// <c>rediss://</c> URL is translated (user, password, database, TLS); anything else is returned as it is.
    /// </summary>
    public static string Normalize(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        value = value.Trim();
        if (!value.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) && !value.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase))
        {
            return value;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new FormatException("The Redis URL is not a valid URL (expected redis://[[user]:password@]host[:port][/db]).");
        }

        var host = uri.HostNameType == UriHostNameType.IPv6 ? $"[{uri.IdnHost}]" : uri.IdnHost;
        var parts = new List<string> { $"{host}:{(uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port)}" };
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var separator = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            var user = Uri.UnescapeDataString(separator < 0 ? "" : uri.UserInfo[..separator]);
            var password = Uri.UnescapeDataString(separator < 0 ? uri.UserInfo : uri.UserInfo[(separator + 1)..]);
            if (user.Length > 0)
            {
                parts.Add("user=" + user);
            }

            if (password.Length > 0)
            {
                parts.Add("password=" + password);
            }
        }

        var database = uri.AbsolutePath.Trim('/');
        if (database.Length > 0)
        {
            if (!int.TryParse(database, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var db))
            {
                throw new FormatException("The Redis URL's path must be a database number.");
            }

            parts.Add("defaultDatabase=" + db.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (uri.Scheme.Equals("rediss", StringComparison.OrdinalIgnoreCase))
        {
            parts.Add("ssl=true");
        }

        return string.Join(',', parts);
    }
}
