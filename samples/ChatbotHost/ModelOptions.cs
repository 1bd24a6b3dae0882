using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ChatbotHost;

/// <summary>Which model answers, bound from <c>StreamingChat:Model</c>.</summary>
public sealed class ModelOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "StreamingChat:Model";

    /// <summary>The offline model (no network).</summary>
    public const string Offline = "Offline";

    /// <summary>Any OpenAI-compatible API.</summary>
    public const string OpenAIProvider = "OpenAI";

    /// <summary>
    /// The name of one of the host's <see cref="ModelProvider"/>s (<c>Offline</c>, <c>OpenAI</c>); when empty, OpenAI is
    /// chosen when an API key is present, else the offline model.
    /// </summary>
    public string? Provider { get; set; }

    /// <summary>Whether the model call gets Microsoft.Extensions.AI's OpenTelemetry spans and <c>gen_ai.*</c> metrics (default true).</summary>
    public bool InstrumentModelCalls { get; set; } = true;

    /// <summary>The OpenAI-compatible API.</summary>
    public OpenAIModelOptions OpenAI { get; set; } = new();

    /// <summary>The name of the provider in effect (<see cref="ModelProvider.Effective"/>), or the unknown name configured.</summary>
    public string EffectiveProvider => ModelProvider.Effective(this)?.Name ?? Provider ?? Offline;
}

/// <summary>An OpenAI-compatible API: OpenAI itself, or a local Ollama, vLLM or LM Studio.</summary>
public sealed class OpenAIModelOptions
{
    /// <summary>The API key (also read from <c>OPENAI_API_KEY</c>). Never printed.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The API's base URL, e.g. <c>http://localhost:11434/v1</c>; empty for OpenAI itself.</summary>
    public string? Endpoint { get; set; }

    /// <summary>The default model; a chatbot may name its own.</summary>
    public string Model { get; set; } = "gpt-4o-mini";

    /// <summary>How often a request refused with 429 or 5xx is sent again before its first token (default 2).</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 2;

    /// <summary>
    /// What streams the answers: <c>Direct</c> (the default), Core's <c>OpenAICompatibleChatClient</c>, StreamingChat's own
    /// reader of the streamed chat completions (HttpClient, SseParser, one JSON pass per chunk: a fifth less CPU per token
    /// under load; benchmarks/README.md), or
    /// <c>Sdk</c>, the OpenAI SDK's client through Microsoft.Extensions.AI. Requests the direct client does not write
    /// (tools, images, response formats) go to the SDK either way.
    /// </summary>
    public string StreamingClient { get; set; } = DirectStreamingClient;

    /// <summary>Core's OpenAI-compatible streaming client (<see cref="StreamingClient"/>).</summary>
    public const string DirectStreamingClient = "Direct";

    /// <summary>The OpenAI SDK's client (<see cref="StreamingClient"/>).</summary>
    public const string SdkStreamingClient = "Sdk";

    /// <summary>Whether <see cref="StreamingClient"/> names Core's OpenAI-compatible client.</summary>
    public bool UsesDirectStreamingClient => string.Equals(StreamingClient, DirectStreamingClient, StringComparison.OrdinalIgnoreCase);

    /// <summary>How long one HTTP request to the API may take, in seconds (default 300, room for a long answer).</summary>
    [Range(1, 3600)]
    public double NetworkTimeoutSeconds { get; set; } = 300;
}

/// <summary>Checks the model settings: a provider the host has, and each provider's own checks; names keys, never prints a value.</summary>
internal sealed class ModelOptionsValidator(IConfiguration configuration) : IValidateOptions<ModelOptions>
{
    public ValidateOptionsResult Validate(string? name, ModelOptions options)
    {
        var failures = new List<string>();
        var chosen = ModelProvider.Effective(options);
        if (chosen is null)
        {
            failures.Add($"StreamingChat:Model:Provider must be one of {string.Join(", ", ModelProvider.All.Select(p => $"'{p.Name}'"))}.");
        }

        foreach (var provider in ModelProvider.All)
        {
            failures.AddRange(provider.Validate(options, configuration, provider == chosen));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
