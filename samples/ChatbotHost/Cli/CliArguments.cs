namespace ChatbotHost.Cli;

/// <summary>A verb's arguments: positional words, and options written <c>--name=value</c> or <c>--name value</c>.</summary>
/// <param name="Positional">The words that are not options, in order.</param>
/// <param name="Options">The options by name (without <c>--</c>, case-insensitive; empty when given no value); the last one wins. Configuration
/// keys (<c>--StreamingChat:Chat:HeartbeatSeconds=5</c>) land here too, and the host's configuration reads them as well.</param>
internal sealed record CliArguments(IReadOnlyList<string> Positional, IReadOnlyDictionary<string, string> Options)
{
    public static CliArguments Parse(string[] args)
    {
        var positional = new List<string>();
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                positional.Add(arg);
                continue;
            }

            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                options[arg[2..equals]] = arg[(equals + 1)..];
            }
            else
            {
                options[arg[2..]] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "";
            }
        }

        return new CliArguments(positional, options);
    }
}
