using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace ChatbotHost;

/// <summary>
/// Google Cloud Text-to-Speech as an <see cref="ITextToSpeechClient"/>, over its REST method <c>text:synthesize</c> with
/// an API key. Written over <see cref="HttpClient"/> (with the standard resilience handler) because no Google client
/// package for it can be restored here. <c>wav</c> is LINEAR16 (Google returns it with a WAV header), <c>mp3</c> MP3,
/// <c>ogg</c>/<c>opus</c> OGG_OPUS.
/// </summary>
internal sealed class GoogleTextToSpeechClient(HttpClient http, IOptions<SpeechProviderOptions> options) : ITextToSpeechClient
{
    private readonly GoogleSpeechOptions _options = options.Value.Google;

    public async Task<TextToSpeechResponse> GetAudioAsync(string text, TextToSpeechOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        var (encoding, mediaType) = (options?.AudioFormat?.ToLowerInvariant()) switch
        {
            "mp3" => ("MP3", "audio/mpeg"),
            "ogg" or "opus" => ("OGG_OPUS", "audio/ogg"),
            _ => ("LINEAR16", "audio/wav"),
        };
        var body = new SynthesizeRequest(
            new SynthesisInput(text),
            new VoiceSelection(options?.Language ?? "en-US", options?.VoiceId),
            new AudioConfig(encoding, options?.Speed));
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(_options.Endpoint), "v1/text:synthesize"))
        {
            Content = JsonContent.Create(body, GoogleJson.Default.SynthesizeRequest),
        };
        request.Headers.Add("X-Goog-Api-Key", _options.ApiKey);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"Google Text-to-Speech answered {(int)response.StatusCode}.", null, response.StatusCode);
        }

        var result = await response.Content.ReadFromJsonAsync(GoogleJson.Default.SynthesizeResponse, cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrEmpty(result?.AudioContent))
        {
            throw new InvalidOperationException("Google Text-to-Speech returned no audio.");
        }

        return new TextToSpeechResponse([new DataContent(Convert.FromBase64String(result.AudioContent), mediaType)]);
    }

    public async IAsyncEnumerable<TextToSpeechResponseUpdate> GetStreamingAudioAsync(string text, TextToSpeechOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetAudioAsync(text, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToTextToSpeechResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
        => serviceKey is null && serviceType == typeof(TextToSpeechClientMetadata) ? new TextToSpeechClientMetadata("google", new Uri(_options.Endpoint))
            : serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    internal sealed record SynthesizeRequest(
        [property: JsonPropertyName("input")] SynthesisInput Input,
        [property: JsonPropertyName("voice")] VoiceSelection Voice,
        [property: JsonPropertyName("audioConfig")] AudioConfig AudioConfig);

    internal sealed record SynthesisInput([property: JsonPropertyName("text")] string Text);

    internal sealed record VoiceSelection(
        [property: JsonPropertyName("languageCode")] string LanguageCode,
        [property: JsonPropertyName("name"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Name);

    internal sealed record AudioConfig(
        [property: JsonPropertyName("audioEncoding")] string AudioEncoding,
        [property: JsonPropertyName("speakingRate"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] float? SpeakingRate);

    internal sealed record SynthesizeResponse([property: JsonPropertyName("audioContent")] string? AudioContent);
}

[JsonSerializable(typeof(GoogleTextToSpeechClient.SynthesizeRequest))]
[JsonSerializable(typeof(GoogleTextToSpeechClient.SynthesizeResponse))]
internal sealed partial class GoogleJson : JsonSerializerContext;
