using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ChatbotHost;

/// <summary>Which service speaks answers, bound from <c>StreamingChat:Speech</c> (beside the library's own speech options).</summary>
public sealed class SpeechProviderOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "StreamingChat:Speech";

    /// <summary><c>espeak-ng</c> on this machine (the default; no account needed).</summary>
    public const string EmbeddedProvider = "Embedded";

    /// <summary>OpenAI's speech API, with the model's key and endpoint.</summary>
    public const string OpenAIProvider = "OpenAI";

    /// <summary>Google Cloud Text-to-Speech, with an API key.</summary>
    public const string GoogleProvider = "Google";

    /// <summary>No speech: <c>enableTTS</c> is ignored.</summary>
    public const string NoProvider = "None";

    /// <summary><c>Embedded</c> (default), <c>OpenAI</c>, <c>Google</c> or <c>None</c>.</summary>
    public string Provider { get; set; } = EmbeddedProvider;

    /// <summary>OpenAI's speech settings.</summary>
    public OpenAISpeechOptions OpenAI { get; set; } = new();

    /// <summary>Google's speech settings.</summary>
    public GoogleSpeechOptions Google { get; set; } = new();
}

/// <summary>OpenAI's speech API; the key and endpoint are the model's (<c>StreamingChat:Model:OpenAI</c>).</summary>
public sealed class OpenAISpeechOptions
{
    /// <summary>The speech model (default <c>gpt-4o-mini-tts</c>).</summary>
    public string Model { get; set; } = "gpt-4o-mini-tts";

    /// <summary>The voice when neither the chatbot nor <c>StreamingChat:Speech:Voice</c> names one (default <c>alloy</c>).</summary>
    public string Voice { get; set; } = "alloy";
}

/// <summary>Google Cloud Text-to-Speech over its REST API.</summary>
public sealed class GoogleSpeechOptions
{
    /// <summary>The API key (also read from <c>GOOGLE_API_KEY</c>); sent in the <c>X-Goog-Api-Key</c> header, never printed.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The API's base URL (default <c>https://texttospeech.googleapis.com/</c>).</summary>
    public string Endpoint { get; set; } = "https://texttospeech.googleapis.com/";

    /// <summary>How long one request may take, retries included, in seconds (default 30).</summary>
    [Range(1, 600)]
    public double TimeoutSeconds { get; set; } = 30;
}

/// <summary>Checks the speech provider settings; names keys, never prints a value.</summary>
internal sealed class SpeechProviderOptionsValidator(IOptions<ModelOptions> model) : IValidateOptions<SpeechProviderOptions>
{
    public ValidateOptionsResult Validate(string? name, SpeechProviderOptions options)
    {
        var failures = new List<string>();
        switch (options.Provider)
        {
            case SpeechProviderOptions.EmbeddedProvider or SpeechProviderOptions.NoProvider:
                break;
            case SpeechProviderOptions.OpenAIProvider:
                if (string.IsNullOrEmpty(model.Value.OpenAI.ApiKey))
                {
                    failures.Add("StreamingChat:Speech:Provider is OpenAI but StreamingChat:Model:OpenAI:ApiKey (or OPENAI_API_KEY) is not set.");
                }

                break;
            case SpeechProviderOptions.GoogleProvider:
                if (string.IsNullOrEmpty(options.Google.ApiKey))
                {
                    failures.Add("StreamingChat:Speech:Provider is Google but StreamingChat:Speech:Google:ApiKey (or GOOGLE_API_KEY) is not set.");
                }

                if (!Uri.TryCreate(options.Google.Endpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
                {
                    failures.Add("StreamingChat:Speech:Google:Endpoint must be an absolute http(s) URL.");
                }

                break;
            default:
                failures.Add("StreamingChat:Speech:Provider must be Embedded, OpenAI, Google or None.");
                break;
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
