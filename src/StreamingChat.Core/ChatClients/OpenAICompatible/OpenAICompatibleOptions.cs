using System.ComponentModel.DataAnnotations;

namespace StreamingChat.Core;

/// <summary>
/// An OpenAI-compatible API (OpenAI itself, or a local Ollama, vLLM or LM Studio) as <see cref="OpenAICompatibleChatClient"/>
/// calls it, and how its HTTP client retries and times out.
/// </summary>
public sealed class OpenAICompatibleOptions
{
    /// <summary>OpenAI's own API, the endpoint when <see cref="Endpoint"/> is empty.</summary>
    public const string OpenAIEndpoint = "https://api.openai.com/v1";

    /// <summary>
    /// The API's base URL (the one <c>/chat/completions</c> is under), for example <c>http://localhost:11434/v1</c>;
    /// null or empty for OpenAI itself (<see cref="OpenAIEndpoint"/>).
    /// </summary>
    public string? Endpoint { get; set; }

    /// <summary>The API key, sent as a bearer token. Never logged.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The model asked when a call names none (<see cref="Microsoft.Extensions.AI.ChatOptions.ModelId"/>); required.</summary>
    public string Model { get; set; } = string.Empty;

    /// <summary>
    /// How often a request refused with 429 or 5xx (or whose connection failed) is sent again before its response starts,
    /// so before its first token (default 2; 0 turns retries off).
    /// </summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 2;

    /// <summary>
    /// How long a request to the API may take until its response starts, retries included, in seconds (default 300, room
    /// for a slow model); the streamed answer after that is bounded by the caller's own timeouts.
    /// </summary>
    [Range(1, 3600)]
    public double NetworkTimeoutSeconds { get; set; } = 300;
}
