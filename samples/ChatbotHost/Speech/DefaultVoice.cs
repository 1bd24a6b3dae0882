using Microsoft.Extensions.AI;

namespace ChatbotHost;

/// <summary>Fills in a provider's default voice when neither the chatbot nor the settings name one (OpenAI requires a voice).</summary>
internal sealed class DefaultVoice(ITextToSpeechClient inner, string voice) : DelegatingTextToSpeechClient(inner)
{
    public override Task<TextToSpeechResponse> GetAudioAsync(string text, TextToSpeechOptions? options = null, CancellationToken cancellationToken = default)
        => base.GetAudioAsync(text, WithVoice(options), cancellationToken);

    public override IAsyncEnumerable<TextToSpeechResponseUpdate> GetStreamingAudioAsync(string text, TextToSpeechOptions? options = null, CancellationToken cancellationToken = default)
        => base.GetStreamingAudioAsync(text, WithVoice(options), cancellationToken);

    private TextToSpeechOptions WithVoice(TextToSpeechOptions? options)
    {
        if (!string.IsNullOrEmpty(options?.VoiceId))
        {
            return options;
        }

        var copy = options?.Clone() ?? new TextToSpeechOptions();
        copy.VoiceId = voice;
        return copy;
    }
}
