// Over 300 lines: the data verbs (migrate, verify-indexes, chatbots and its sub-verbs) share one way of building the services and of writing a chatbot; each verb is one method, read top to bottom.
using System.Globalization;
using Microsoft.Extensions.Options;
using StreamingChat.Core;
using StreamingChat.Mongo;

namespace ChatbotHost.Cli;

/// <summary>The verbs that work on the service's data: <c>migrate</c>, <c>verify-indexes</c> and <c>chatbots</c>.</summary>
internal static class DataCommands
{
    private const string NoMongo = "MongoDB is not configured: set ConnectionStrings:Mongo (ConnectionStrings__Mongo) or MONGODB_URI.";

    /// <summary>Runs the pending migrations and brings the retention index in line; a second run does nothing.</summary>
    public static Task<int> MigrateAsync(string[] args, TextWriter output, TextWriter error)
        => WithServicesAsync(args, error, requireMongo: true, async services =>
        {
            var migrator = services.GetRequiredService<MongoMigrator>();
            var result = await migrator.MigrateAsync(Environment.UserName is { Length: > 0 } user ? "migrate (" + user + ")" : "migrate").ConfigureAwait(false);
            foreach (var applied in result.Applied)
            {
                await output.WriteLineAsync("Applied " + applied).ConfigureAwait(false);
            }

            if (result.Retention is not null)
            {
                await output.WriteLineAsync("Retention: " + result.Retention).ConfigureAwait(false);
            }

            // Chatbots named in configuration (StreamingChat:Chatbots) are created when absent, never overwritten.
            var seeded = 0;
            var seed = services.GetRequiredService<IOptions<ChatbotSeedOptions>>().Value;
            var store = services.GetRequiredService<IChatbotStore>();
            if (seed.Chatbots.Count > 0)
            {
                foreach (var chatbot in seed.ToDefinitions(services.GetRequiredService<TimeProvider>().GetUtcNow()))
                {
                    if (await store.GetAsync(chatbot.Id).ConfigureAwait(false) is null)
                    {
                        await store.UpsertAsync(chatbot).ConfigureAwait(false);
                        await output.WriteLineAsync($"Seeded chatbot '{chatbot.Id}' from configuration").ConfigureAwait(false);
                        seeded++;
                    }
                }
            }

            await output.WriteLineAsync(result.Changed || seeded > 0 ? "Migrations complete." : "Nothing to do: every migration has run and the indexes are as configured.").ConfigureAwait(false);
            return 0;
        });

    /// <summary>Lists every expected index with its state; exit 1 when any is missing or different.</summary>
    public static Task<int> VerifyIndexesAsync(string[] args, TextWriter output, TextWriter error)
        => WithServicesAsync(args, error, requireMongo: true, async services =>
        {
            var migrator = services.GetRequiredService<MongoMigrator>();
            var checks = await migrator.VerifyIndexesAsync().ConfigureAwait(false);
            foreach (var check in checks)
            {
                var state = check.State switch
                {
                    IndexState.Ok => "ok",
                    IndexState.Missing => "MISSING",
                    IndexState.Differs => "DIFFERS",
                    _ => "UNEXPECTED",
                };
                await output.WriteLineAsync($"{state,-10} {check.Collection}.{check.Name} {check.Keys}{(check.Detail is null ? "" : " (" + check.Detail + ")")}").ConfigureAwait(false);
            }

            var pending = await migrator.GetPendingAsync().ConfigureAwait(false);
            foreach (var migration in pending)
            {
                await output.WriteLineAsync("PENDING    migration " + migration).ConfigureAwait(false);
            }

            var bad = checks.Count(c => c.State != IndexState.Ok);
            if (bad == 0 && pending.Count == 0)
            {
                await output.WriteLineAsync("All indexes are in place.").ConfigureAwait(false);
                return 0;
            }

            await error.WriteLineAsync($"{bad} index problem(s), {pending.Count} pending migration(s): run 'ChatbotHost migrate'.").ConfigureAwait(false);
            return 1;
        });

    /// <summary><c>chatbots list | show ID | set ID [--name=…] … | enable ID | disable ID</c>.</summary>
    public static Task<int> ChatbotsAsync(string[] args, TextWriter output, TextWriter error)
    {
        // Over 60 lines: one verb, its five actions (list, show, set, enable, disable) as cases.
        var parsed = CliArguments.Parse(args);
        var action = parsed.Positional.FirstOrDefault() ?? "list";
        var id = parsed.Positional.Skip(1).FirstOrDefault();
        return WithServicesAsync(args, error, requireMongo: false, async services =>
        {
            var store = services.GetRequiredService<IChatbotStore>();
            if (action == "list")
            {
                var chatbots = await store.ListAsync().ConfigureAwait(false);
                await output.WriteLineAsync($"{"ID",-24} {"ENABLED",-8} {"MODEL",-20} NAME").ConfigureAwait(false);
                foreach (var chatbot in chatbots)
                {
                    await output.WriteLineAsync($"{chatbot.Id,-24} {(chatbot.Enabled ? "yes" : "no"),-8} {chatbot.Model ?? "(default)",-20} {chatbot.Name}").ConfigureAwait(false);
                }

                return 0;
            }

            if (action is not ("show" or "set" or "enable" or "disable"))
            {
                await error.WriteLineAsync($"Unknown chatbots action '{action}'. Use list, show ID, set ID [--name=…], enable ID or disable ID.").ConfigureAwait(false);
                return 1;
            }

            if (id is null || !ChatbotDefinition.IsValidId(id))
            {
                await error.WriteLineAsync("A chatbot id is required: 1–64 of A-Z a-z 0-9 _ -.").ConfigureAwait(false);
                return 1;
            }

            var existing = await store.GetAsync(id).ConfigureAwait(false);
            if (action == "show")
            {
                if (existing is null)
                {
                    await error.WriteLineAsync($"No chatbot '{id}'.").ConfigureAwait(false);
                    return 1;
                }

                await WriteChatbotAsync(existing, output).ConfigureAwait(false);
                return 0;
            }

            if (existing is null && action != "set")
            {
                await error.WriteLineAsync($"No chatbot '{id}'.").ConfigureAwait(false);
                return 1;
            }

            var time = services.GetRequiredService<TimeProvider>();
            var changed = action switch
            {
                "enable" => existing! with { Enabled = true },
                "disable" => existing! with { Enabled = false },
                _ => Apply(existing ?? new ChatbotDefinition { Id = id }, parsed.Options, error),
            };
            if (changed is null)
            {
                return 1;
            }

            changed = changed with { UpdatedAt = time.GetUtcNow() };
            await store.UpsertAsync(changed).ConfigureAwait(false);
            await output.WriteLineAsync($"{(existing is null ? "Created" : "Updated")} chatbot '{id}'.").ConfigureAwait(false);
            await WriteChatbotAsync(changed, output).ConfigureAwait(false);
            return 0;
        });
    }

    /// <summary>
    /// Applies <c>--name</c>, <c>--system-prompt</c>, <c>--model</c>, <c>--temperature</c>, <c>--max-output-tokens</c>,
    /// <c>--voice</c>, <c>--language</c>, <c>--audio-format</c>, <c>--tools</c>, <c>--mcp-servers</c>, <c>--enabled</c>; null
    /// (with a message) when a value is wrong.
    /// </summary>
    private static string[] Names(string list)
        => [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal)];

    private static ChatbotDefinition? Apply(ChatbotDefinition chatbot, IReadOnlyDictionary<string, string> options, TextWriter error)
    {
        // Over 60 lines: one option per field, each parsed and checked, collecting every problem.
        var problems = new List<string>();
        if (options.TryGetValue("name", out var name))
        {
            chatbot = chatbot with { Name = name };
        }

        if (options.TryGetValue("system-prompt", out var prompt))
        {
            chatbot = chatbot with { SystemPrompt = prompt };
        }

        if (options.TryGetValue("model", out var model))
        {
            chatbot = chatbot with { Model = string.IsNullOrWhiteSpace(model) ? null : model };
        }

        if (options.TryGetValue("temperature", out var temperature))
        {
            if (temperature.Length == 0)
            {
                chatbot = chatbot with { Temperature = null };
            }
            else if (float.TryParse(temperature, NumberStyles.Float, CultureInfo.InvariantCulture, out var t) && t is >= 0 and <= 2)
            {
                chatbot = chatbot with { Temperature = t };
            }
            else
            {
                problems.Add("--temperature must be a number from 0 to 2.");
            }
        }

        if (options.TryGetValue("max-output-tokens", out var maxTokens))
        {
            if (maxTokens.Length == 0)
            {
                chatbot = chatbot with { MaxOutputTokens = null };
            }
            else if (int.TryParse(maxTokens, NumberStyles.None, CultureInfo.InvariantCulture, out var m) && m > 0)
            {
                chatbot = chatbot with { MaxOutputTokens = m };
            }
            else
            {
                problems.Add("--max-output-tokens must be a whole number above 0.");
            }
        }

        foreach (var (option, apply) in new (string, Func<ChatbotDefinition, string?, ChatbotDefinition>)[]
        {
            ("voice", (c, v) => c with { SpeechVoice = v }),
            ("language", (c, v) => c with { SpeechLanguage = v }),
            ("audio-format", (c, v) => c with { SpeechFormat = v }),
        })
        {
            if (options.TryGetValue(option, out var value))
            {
                chatbot = apply(chatbot, string.IsNullOrWhiteSpace(value) ? null : value);
            }
        }

        // Comma-separated names; empty clears. Tools are the names AddTool() gave them, servers the names configured under
        // StreamingChat:Mcp:Servers.
        if (options.TryGetValue("tools", out var tools))
        {
            chatbot = chatbot with { Tools = Names(tools) };
        }

        if (options.TryGetValue("mcp-servers", out var servers))
        {
            chatbot = chatbot with { McpServers = Names(servers) };
        }

        if (chatbot.SpeechFormat is { } format && format is not ("wav" or "mp3" or "opus" or "ogg" or "flac" or "aac" or "pcm"))
        {
            problems.Add("--audio-format must be wav, mp3, opus, ogg, flac, aac or pcm.");
        }

        if (options.TryGetValue("enabled", out var enabled))
        {
            if (bool.TryParse(enabled, out var e))
            {
                chatbot = chatbot with { Enabled = e };
            }
            else
            {
                problems.Add("--enabled must be true or false.");
            }
        }

        foreach (var problem in problems)
        {
            error.WriteLine(problem);
        }

        return problems.Count == 0 ? chatbot : null;
    }

    private static async Task WriteChatbotAsync(ChatbotDefinition chatbot, TextWriter output)
    {
        await output.WriteLineAsync($"  id: {chatbot.Id}").ConfigureAwait(false);
        await output.WriteLineAsync($"  name: {chatbot.Name}").ConfigureAwait(false);
        await output.WriteLineAsync($"  enabled: {(chatbot.Enabled ? "yes" : "no")}").ConfigureAwait(false);
        await output.WriteLineAsync($"  model: {chatbot.Model ?? "(default)"}").ConfigureAwait(false);
        await output.WriteLineAsync($"  temperature: {(chatbot.Temperature?.ToString(CultureInfo.InvariantCulture) ?? "(default)")}").ConfigureAwait(false);
        await output.WriteLineAsync($"  maxOutputTokens: {(chatbot.MaxOutputTokens?.ToString(CultureInfo.InvariantCulture) ?? "(default)")}").ConfigureAwait(false);
        await output.WriteLineAsync($"  speech: voice {chatbot.SpeechVoice ?? "(default)"}, language {chatbot.SpeechLanguage ?? "(default)"}, format {chatbot.SpeechFormat ?? "(default)"}").ConfigureAwait(false);
        await output.WriteLineAsync($"  tools: {(chatbot.Tools.Count == 0 ? "(none)" : string.Join(", ", chatbot.Tools))}").ConfigureAwait(false);
        await output.WriteLineAsync($"  mcpServers: {(chatbot.McpServers.Count == 0 ? "(none)" : string.Join(", ", chatbot.McpServers))}").ConfigureAwait(false);
        await output.WriteLineAsync($"  systemPrompt: {chatbot.SystemPrompt}").ConfigureAwait(false);
        await output.WriteLineAsync($"  updatedAt: {chatbot.UpdatedAt:O}").ConfigureAwait(false);
    }

    /// <summary>Builds the service's parts as it would start (without listening), validates the options, and runs <paramref name="work"/>.</summary>
    private static async Task<int> WithServicesAsync(string[] args, TextWriter error, bool requireMongo, Func<IServiceProvider, Task<int>> work)
    {
        WebApplication app;
        try
        {
            app = ChatbotHostApp.CreateBuilder(args).Build();
            app.Services.GetRequiredService<IStartupValidator>().Validate();
        }
        catch (Exception ex) when (ex is OptionsValidationException or InvalidOperationException)
        {
            await error.WriteLineAsync("Configuration is not valid: " + ex.Message + " Run 'ChatbotHost validate-config' for every problem.").ConfigureAwait(false);
            return 1;
        }

        await using (app.ConfigureAwait(false))
        {
            if (requireMongo && app.Services.GetService<MongoMigrator>() is null)
            {
                await error.WriteLineAsync(NoMongo).ConfigureAwait(false);
                return 1;
            }

            try
            {
                return await work(app.Services).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is MongoDB.Driver.MongoException or TimeoutException)
            {
                await error.WriteLineAsync("MongoDB failed: " + ex.Message.Split('\n')[0]).ConfigureAwait(false);
                return 1;
            }
        }
    }
}
