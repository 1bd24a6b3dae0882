using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace StreamingChat.Core;

/// <summary>
/// Chatbots seeded into the in-memory store, bound from <c>StreamingChat</c> so that
/// <c>StreamingChat:Chatbots:{id}:SystemPrompt</c> and its siblings define a chatbot named <c>{id}</c>.
/// </summary>
public sealed class ChatbotSeedOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "StreamingChat";

    /// <summary>The id of the chatbot seeded when none is configured.</summary>
    public const string DemoChatbotId = "demo";

    /// <summary>The chatbots, by id.</summary>
    public Dictionary<string, ChatbotSeed> Chatbots { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The configured chatbots as definitions, or the built-in <c>demo</c> chatbot when none is configured.</summary>
    public IEnumerable<ChatbotDefinition> ToDefinitions(DateTimeOffset now)
    {
        if (Chatbots.Count == 0)
        {
            yield return new ChatbotDefinition
            {
                Id = DemoChatbotId,
                Name = "Demo",
                SystemPrompt = "You are a helpful assistant. Answer briefly and clearly.",
                UpdatedAt = now,
            };
            yield break;
        }

        foreach (var (id, seed) in Chatbots)
        {
            yield return new ChatbotDefinition
            {
                Id = id,
                Name = string.IsNullOrWhiteSpace(seed.Name) ? id : seed.Name,
                SystemPrompt = seed.SystemPrompt ?? "",
                Model = string.IsNullOrWhiteSpace(seed.Model) ? null : seed.Model,
                Temperature = seed.Temperature,
                MaxOutputTokens = seed.MaxOutputTokens,
                SpeechVoice = string.IsNullOrWhiteSpace(seed.SpeechVoice) ? null : seed.SpeechVoice,
                SpeechLanguage = string.IsNullOrWhiteSpace(seed.SpeechLanguage) ? null : seed.SpeechLanguage,
                SpeechFormat = string.IsNullOrWhiteSpace(seed.SpeechFormat) ? null : seed.SpeechFormat,
                Enabled = seed.Enabled,
                Tools = [.. seed.Tools.Where(name => !string.IsNullOrWhiteSpace(name)).Distinct(StringComparer.Ordinal)],
                McpServers = [.. seed.McpServers.Where(name => !string.IsNullOrWhiteSpace(name)).Distinct(StringComparer.Ordinal)],
                UpdatedAt = now,
            };
        }
    }
}

/// <summary>One configured chatbot.</summary>
public sealed class ChatbotSeed
{
    /// <summary>A display name; the id when empty.</summary>
    public string? Name { get; set; }

    /// <summary>The system prompt.</summary>
    public string? SystemPrompt { get; set; }

    /// <summary>The model; the default model when empty.</summary>
    public string? Model { get; set; }

    /// <summary>The sampling temperature, 0–2.</summary>
    [Range(0.0, 2.0)]
    public float? Temperature { get; set; }

    /// <summary>The most tokens an answer may have.</summary>
    [Range(1, 1_000_000)]
    public int? MaxOutputTokens { get; set; }

    /// <summary>The voice answers are spoken in; the speech default when empty.</summary>
    public string? SpeechVoice { get; set; }

    /// <summary>The language answers are spoken in; the speech default when empty.</summary>
    public string? SpeechLanguage { get; set; }

    /// <summary>The audio format (<c>wav</c>, <c>mp3</c>); the speech default when empty.</summary>
    public string? SpeechFormat { get; set; }

    /// <summary>Whether the chatbot answers (default true).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The tools the model may call for this chatbot, by the names they were added with (<c>AddTool()</c>).</summary>
    public List<string> Tools { get; set; } = [];

    /// <summary>The MCP servers (by their configured names) whose tools the model may call for this chatbot.</summary>
    public List<string> McpServers { get; set; } = [];
}

/// <summary>Checks the configured chatbots: ids by API.md's pattern, and each chatbot's settings.</summary>
internal sealed partial class ChatbotSeedOptionsValidator : IValidateOptions<ChatbotSeedOptions>
{
    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    internal static partial Regex ChatbotIdPattern();

    public ValidateOptionsResult Validate(string? name, ChatbotSeedOptions options)
    {
        var failures = new List<string>();
        foreach (var (id, seed) in options.Chatbots)
        {
            if (!ChatbotIdPattern().IsMatch(id))
            {
                failures.Add($"StreamingChat:Chatbots:{id}: the id must be 1–64 of A-Z a-z 0-9 _ -.");
            }

            var results = new List<ValidationResult>();
            if (!Validator.TryValidateObject(seed, new ValidationContext(seed), results, validateAllProperties: true))
            {
                failures.AddRange(results.Select(r => $"StreamingChat:Chatbots:{id}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
