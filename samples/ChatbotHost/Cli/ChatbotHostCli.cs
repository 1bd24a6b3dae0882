using Microsoft.Extensions.Options;
using StreamingChat.AspNetCore;
using StreamingChat.Core;

namespace ChatbotHost.Cli;

/// <summary>The operator's verbs: <c>validate-config</c>, <c>migrate</c>, <c>verify-indexes</c>, <c>chatbots</c>, <c>smoke</c>, <c>help</c>.</summary>
public static class ChatbotHostCli
{
    private static readonly string[] Verbs = ["validate-config", "migrate", "verify-indexes", "chatbots", "smoke", "help", "--help", "-h"];

    /// <summary>Whether <paramref name="args"/> name a verb rather than starting the web host.</summary>
    public static bool IsCommand(string[] args) => args.Length > 0 && Verbs.Contains(args[0], StringComparer.Ordinal);

    /// <summary>Runs a verb; returns the process exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var rest = args[1..];
        switch (args[0])
        {
            case "validate-config":
                return await ValidateConfigAsync(rest, output, error).ConfigureAwait(false);
            case "migrate":
                return await DataCommands.MigrateAsync(rest, output, error).ConfigureAwait(false);
            case "verify-indexes":
                return await DataCommands.VerifyIndexesAsync(rest, output, error).ConfigureAwait(false);
            case "chatbots":
                return await DataCommands.ChatbotsAsync(rest, output, error).ConfigureAwait(false);
            case "smoke":
                return await SmokeCommand.RunAsync(rest, output, error).ConfigureAwait(false);
            default:
                await output.WriteLineAsync("""
                    Usage: ChatbotHost [verb] [--key=value ...]

                      (no verb)         run the service (http://localhost:5000 unless --urls or ASPNETCORE_URLS says otherwise)
                      validate-config [--url URL]
                                        check every option; prints what is wrong (never a secret); exit 1 on an error.
                                        With --url, also asks that running instance whether forwarded headers came from
                                        a peer it does not trust (a proxy missing from StreamingChat:ForwardedHeaders)
                      migrate           run the pending MongoDB migrations and match the retention index; idempotent
                      verify-indexes    list every expected MongoDB index and pending migration; exit 1 when any is missing
                      chatbots list                  list the chatbots
                      chatbots show ID               one chatbot's settings
                      chatbots set ID [--name=...] [--system-prompt=...] [--model=...] [--temperature=0.7]
                                      [--max-output-tokens=N] [--voice=...] [--language=en-US] [--audio-format=wav]
                                      [--tools=get_time,open_ticket] [--mcp-servers=name,...] [--enabled=true|false]
                                                     create or change a chatbot (takes effect on every instance within
                                                     StreamingChat:Cache:ChatbotLocalSeconds)
                      chatbots enable ID | disable ID
                      smoke --url URL --chatbot ID [--session ID] [--user ID] [--timeout 60] "question"
                                      stream one answer from a running service: first-token latency, total time,
                                      token count; exit 1 on any failure
                      help              this text

                    Configuration comes from appsettings.json, appsettings.{Environment}.json, environment variables
                    (StreamingChat__Chat__MaxQueryLength=...) and --StreamingChat:Chat:MaxQueryLength=... arguments.
                    MongoDB: ConnectionStrings:Mongo or MONGODB_URI; Redis: ConnectionStrings:Redis or REDIS_URL.
                    """).ConfigureAwait(false);
                return 0;
        }
    }

    /// <summary>
    /// Builds the service as it would start, without listening, and runs every options validator the start-up runs.
    /// </summary>
    private static async Task<int> ValidateConfigAsync(string[] args, TextWriter output, TextWriter error)
    {
        List<string> failures = [];
        WebApplication? app = null;
        try
        {
            app = ChatbotHostApp.CreateBuilder(args).Build();
            app.Services.GetRequiredService<IStartupValidator>().Validate();
        }
        catch (Exception ex)
        {
            failures.AddRange(Failures(ex));
        }

        if (app is not null)
        {
            await using (app.ConfigureAwait(false))
            {
                if (failures.Count == 0)
                {
                    await WriteSummaryAsync(app.Services, output).ConfigureAwait(false);
                    if (CliArguments.Parse(args).Options.TryGetValue("url", out var url) && url.Length > 0)
                    {
                        await CheckRunningInstanceAsync(app.Services, url, output).ConfigureAwait(false);
                    }
                }
            }
        }

        if (failures.Count == 0)
        {
            await output.WriteLineAsync("Configuration is valid.").ConfigureAwait(false);
            return 0;
        }

        await error.WriteLineAsync($"Configuration is not valid ({failures.Count} problem{(failures.Count == 1 ? "" : "s")}):").ConfigureAwait(false);
        foreach (var failure in failures)
        {
            await error.WriteLineAsync("  - " + failure).ConfigureAwait(false);
        }

        return 1;
    }

    private static IEnumerable<string> Failures(Exception exception) => exception switch
    {
        OptionsValidationException validation => validation.Failures,
        AggregateException aggregate => aggregate.InnerExceptions.SelectMany(Failures),
        // A value that cannot be converted (for example a word where a number belongs) fails while binding.
        InvalidOperationException { InnerException: { } inner } when exception.Message.Contains("configuration", StringComparison.OrdinalIgnoreCase)
            => [exception.Message.Split(". ")[0] + ".", .. Failures(inner).Where(m => !m.Contains("not a valid value", StringComparison.Ordinal))],
        _ => [exception.Message],
    };

    private static async Task WriteSummaryAsync(IServiceProvider services, TextWriter output)
    {
        var model = services.GetRequiredService<IOptions<ModelOptions>>().Value;
        var chat = services.GetRequiredService<IOptions<ChatStreamOptions>>().Value;
        var stream = services.GetRequiredService<IOptions<EventStreamOptions>>().Value;
        await output.WriteLineAsync($"Model provider: {model.EffectiveProvider}").ConfigureAwait(false);
        foreach (var line in ModelProvider.Effective(model)?.Describe(model) ?? [])
        {
            await output.WriteLineAsync("  " + line).ConfigureAwait(false);
        }

        var speech = services.GetRequiredService<IOptions<SpeechProviderOptions>>().Value;
        await output.WriteLineAsync($"Speech: {speech.Provider}{(services.GetRequiredService<SpeechSynthesis>().Available ? "" : " (off)")}").ConfigureAwait(false);
        await output.WriteLineAsync($"Chat: max query {chat.MaxQueryLength} characters, heartbeat {stream.HeartbeatSeconds} s, history {chat.HistoryTurns} turns").ConfigureAwait(false);
        var sessions = services.GetRequiredService<IOptions<SessionsOptions>>().Value;
        var admin = services.GetRequiredService<IOptions<AdminOptions>>().Value;
        await output.WriteLineAsync(sessions.Ownership switch
        {
            SessionOwnership.User => "Sessions: owned by the signed-in user; anonymous chat is refused (401)",
            SessionOwnership.None => "Sessions: owned by nobody (any caller who knows a session id may use it)",
            _ => "Sessions: owned by the holder of the session key (signed-in callers: by the user)" + (sessions.RequireAuthenticatedCaller ? "; anonymous chat is refused (401)" : ""),
        }).ConfigureAwait(false);
        if (sessions.Ownership == SessionOwnership.None && !services.GetRequiredService<IHostEnvironment>().IsDevelopment())
        {
            await output.WriteLineAsync("Warning: StreamingChat:Sessions:Ownership is None outside Development: any caller who knows a session id can read and add to it. Use it only behind a gateway that authorizes callers.").ConfigureAwait(false);
        }

        await WriteForwardedHeadersAsync(services, output).ConfigureAwait(false);
        var keyCount = admin.ApiKeys.Count + admin.NamedApiKeys.Count;
        await output.WriteLineAsync($"Admin: {(keyCount == 0 ? "no key (admin endpoints closed)" : $"{keyCount} key{(keyCount == 1 ? "" : "s")}")}; operator reads {(admin.ProtectReads ? "need the admin key" : "open")}").ConfigureAwait(false);
        var mongo = services.GetService<StreamingChat.Mongo.StreamingChatMongo>();
        var redis = services.GetService<StreamingChatRedis>();
        await output.WriteLineAsync($"Stores: {(mongo is null ? "in memory" : "MongoDB, database " + mongo.Options.EffectiveDatabase)}; shared state: {(redis is null ? "in memory" : "Redis")}").ConfigureAwait(false);
        if (SharedStateWarning(services) is { } shared)
        {
            await output.WriteLineAsync(shared).ConfigureAwait(false);
        }
        if (mongo is null)
        {
            var chatbots = await services.GetRequiredService<IChatbotStore>().ListAsync().ConfigureAwait(false);
            await output.WriteLineAsync($"Chatbots (in memory): {string.Join(", ", chatbots.Select(c => c.Enabled ? c.Id : c.Id + " (disabled)"))}").ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Answers shared by every instance through Redis while each instance keeps its conversations in its own memory: a
    /// session's history then depends on which instance answers. Null when that is not so.
    /// </summary>
    internal static string? SharedStateWarning(IServiceProvider services)
        => services.GetService<StreamingChatRedis>() is not null
            && services.GetRequiredService<IOptions<AnswerOptions>>().Value.Shared
            && services.GetRequiredService<IConversationStore>() is InMemoryConversationStore
            ? "Warning: answers are shared through Redis but conversations are kept in each instance's memory: an instance answers a session with only the history it has seen itself. Configure MongoDB (ConnectionStrings:Mongo) for several instances."
            : null;

    /// <summary>Which proxies' forwarded headers are believed, and a warning where that looks wrong.</summary>
    private static async Task WriteForwardedHeadersAsync(IServiceProvider services, TextWriter output)
    {
        var trusted = services.GetRequiredService<IOptions<TrustedProxyOptions>>().Value;
        var listed = trusted.KnownNetworks.Concat(trusted.KnownProxies).ToList();
        await output.WriteLineAsync($"Forwarded headers: believed from {(listed.Count == 0 ? "loopback only" : string.Join(", ", listed))}").ConfigureAwait(false);
        if (listed.Count == 0 && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST")))
        {
            await output.WriteLineAsync("Warning: this runs in Kubernetes, where the ingress is another pod, but forwarded headers are believed from loopback only: every anonymous caller counts as the ingress's address (one limit for all). Set StreamingChat:ForwardedHeaders:KnownNetworks to the pod network.").ConfigureAwait(false);
        }
    }

    /// <summary>Asks a running instance whether forwarded headers reached it from peers it does not trust.</summary>
    private static async Task CheckRunningInstanceAsync(IServiceProvider services, string url, TextWriter output)
    {
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/metrics/streaming");
        var admin = services.GetRequiredService<IOptions<AdminOptions>>().Value;
        if (admin.ApiKeys.Concat(admin.NamedApiKeys.Values).FirstOrDefault() is { } key)
        {
            request.Headers.Add(StreamingChatAdmin.KeyHeader, key);
        }

        try
        {
            using var response = await http.SendAsync(request).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            using var body = await System.Text.Json.JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync().ConfigureAwait(false)).ConfigureAwait(false);
            var forwarded = body.RootElement.GetProperty("forwardedHeaders");
            var count = forwarded.GetProperty("untrustedRequests").GetInt64();
            var peers = string.Join(", ", forwarded.GetProperty("untrustedPeers").EnumerateArray().Select(p => p.GetString()));
            await output.WriteLineAsync(count == 0
                ? $"Running instance {url}: no forwarded headers from an untrusted peer."
                : $"Warning: the running instance {url} got forwarded headers from peers it does not trust ({count} requests, from {peers}). If these are your proxies, every caller behind them counts as one address: add them to StreamingChat:ForwardedHeaders:KnownNetworks or :KnownProxies.").ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            await output.WriteLineAsync($"Warning: the running instance {url} could not be asked ({ex.GetType().Name}).").ConfigureAwait(false);
        }
    }

    /// <summary>The URL without its user name and password (shown as <c>***</c>).</summary>
    internal static string RedactUserInfo(string url)
        => Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0
            ? new UriBuilder(uri) { UserName = "***", Password = "" }.Uri.ToString()
            : url;
}
