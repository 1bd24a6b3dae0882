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

    /// <summary><c>Offline</c> or <c>OpenAI</c>; when empty, OpenAI is chosen when an API key is present.</summary>
    public string? Provider { get; set; }

    /// <summary>Whether the model call gets Microsoft.Extensions.AI's OpenTelemetry spans and <c>gen_ai.*</c> metrics (default true).</summary>
    public bool InstrumentModelCalls { get; set; } = true;

    /// <summary>The OpenAI-compatible API.</summary>
    public OpenAIModelOptions OpenAI { get; set; } = new();

    /// <summary>The provider in effect: the configured one, else OpenAI when a key is set, else offline.</summary>
    public string EffectiveProvider => string.IsNullOrWhiteSpace(Provider)
        ? string.IsNullOrEmpty(OpenAI.ApiKey) ? Offline : OpenAIProvider
        : Provider.Equals(OpenAIProvider, StringComparison.OrdinalIgnoreCase) ? OpenAIProvider
        : Provider.Equals(Offline, StringComparison.OrdinalIgnoreCase) ? Offline
        : Provider;
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
    /// What streams the answers: <c>Direct</c> (the default), the host's own reader of the streamed chat completions
    /// (HttpClient, SseParser, one JSON pass per chunk: a fifth less CPU per token under load; benchmarks/README.md), or
    /// <c>Sdk</c>, the OpenAI SDK's client through Microsoft.Extensions.AI. Requests the direct client does not write
    /// (tools, images, response formats) go to the SDK either way.
    /// </summary>
    public string StreamingClient { get; set; } = DirectStreamingClient;

    /// <summary>The host's own streaming client (<see cref="StreamingClient"/>).</summary>
    public const string DirectStreamingClient = "Direct";

    /// <summary>The OpenAI SDK's client (<see cref="StreamingClient"/>).</summary>
    public const string SdkStreamingClient = "Sdk";

    /// <summary>Whether <see cref="StreamingClient"/> names the host's own client.</summary>
    public bool UsesDirectStreamingClient => string.Equals(StreamingClient, DirectStreamingClient, StringComparison.OrdinalIgnoreCase);

    /// <summary>How long one HTTP request to the API may take, in seconds (default 300, room for a long answer).</summary>
    [Range(1, 3600)]
    public double NetworkTimeoutSeconds { get; set; } = 300;
}

/// <summary>Checks the model settings; names keys, never prints a value.</summary>
internal sealed class ModelOptionsValidator : IValidateOptions<ModelOptions>
{
    public ValidateOptionsResult Validate(string? name, ModelOptions options)
    {
        var failures = new List<string>();
        var provider = options.EffectiveProvider;
        if (provider is not (ModelOptions.Offline or ModelOptions.OpenAIProvider))
        {
            failures.Add("StreamingChat:Model:Provider must be 'Offline' or 'OpenAI'.");
        }

        var openAI = options.OpenAI;
        if (provider == ModelOptions.OpenAIProvider && string.IsNullOrWhiteSpace(openAI.ApiKey))
        {
            failures.Add("StreamingChat:Model:OpenAI:ApiKey (or OPENAI_API_KEY) is required when the provider is OpenAI.");
        }

        if (!string.IsNullOrWhiteSpace(openAI.Endpoint)
            && !(Uri.TryCreate(openAI.Endpoint, UriKind.Absolute, out var endpoint) && endpoint.Scheme is "http" or "https"))
        {
            failures.Add("StreamingChat:Model:OpenAI:Endpoint must be an absolute http or https URL.");
        }

        if (!openAI.UsesDirectStreamingClient && !string.Equals(openAI.StreamingClient, OpenAIModelOptions.SdkStreamingClient, StringComparison.OrdinalIgnoreCase))
        {
            failures.Add("StreamingChat:Model:OpenAI:StreamingClient must be 'Direct' or 'Sdk'.");
        }

        if (string.IsNullOrWhiteSpace(openAI.Model))
        {
            failures.Add("StreamingChat:Model:OpenAI:Model must not be empty.");
        }

        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(openAI, new ValidationContext(openAI), results, validateAllProperties: true))
        {
            failures.AddRange(results.Select(r => $"StreamingChat:Model:OpenAI:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
