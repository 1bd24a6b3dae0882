using System.Buffers.Binary;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace StreamingChat.Core.Tests;

/// <summary>The embedded speech against the real espeak-ng (installed by eng/install-deps.sh).</summary>
public sealed class EspeakNgTextToSpeechClientTests
{
    private readonly EspeakNgTextToSpeechClient _client = new(Options.Create(new EmbeddedSpeechOptions()));

    private static (int Channels, int SampleRate, int BitsPerSample, TimeSpan Duration) ReadWav(byte[] wav)
    {
        Assert.Equal("RIFF"u8.ToArray(), wav[..4]);
        Assert.Equal("WAVE"u8.ToArray(), wav[8..12]);
        Assert.Equal(wav.Length - 8, BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(4)));
        int channels = 0, rate = 0, bits = 0, byteRate = 0;
        var position = 12;
        while (position + 8 <= wav.Length)
        {
            var id = System.Text.Encoding.ASCII.GetString(wav, position, 4);
            var size = BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(position + 4));
            if (id == "fmt ")
            {
                Assert.Equal(1, BinaryPrimitives.ReadInt16LittleEndian(wav.AsSpan(position + 8))); // PCM
                channels = BinaryPrimitives.ReadInt16LittleEndian(wav.AsSpan(position + 10));
                rate = BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(position + 12));
                byteRate = BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(position + 16));
                bits = BinaryPrimitives.ReadInt16LittleEndian(wav.AsSpan(position + 22));
            }
            else if (id == "data")
            {
                Assert.Equal(wav.Length - position - 8, size);
                return (channels, rate, bits, TimeSpan.FromSeconds((double)size / byteRate));
            }

            position += 8 + size + (size & 1);
        }

        throw new Xunit.Sdk.XunitException("No data chunk.");
    }

    private async Task<byte[]> SpeakAsync(string text, TextToSpeechOptions? options = null)
    {
        var response = await _client.GetAudioAsync(text, options ?? new TextToSpeechOptions { Language = "en-US" });
        var audio = Assert.IsType<DataContent>(Assert.Single(response.Contents));
        Assert.Equal("audio/wav", audio.MediaType);
        return audio.Data.ToArray();
    }

    [Fact]
    public async Task Speak_WritesValidWav_WhoseDurationGrowsWithTheText()
    {
        var shortWav = ReadWav(await SpeakAsync("Hello."));
        var longWav = ReadWav(await SpeakAsync("Hello. This sentence is a good deal longer than the first one, so it takes longer to say."));

        Assert.Equal((1, 16), (shortWav.Channels, shortWav.BitsPerSample));
        Assert.InRange(shortWav.SampleRate, 8000, 48000);
        Assert.True(shortWav.Duration > TimeSpan.FromMilliseconds(200), shortWav.Duration.ToString());
        Assert.True(longWav.Duration > shortWav.Duration * 3, $"{longWav.Duration} vs {shortWav.Duration}");
    }

    [Fact]
    public async Task Speak_OtherLanguageAndSpeed_AreHonoured()
    {
        var normal = ReadWav(await SpeakAsync("Guten Tag, wie geht es Ihnen heute?", new TextToSpeechOptions { Language = "de" }));
        var fast = ReadWav(await SpeakAsync("Guten Tag, wie geht es Ihnen heute?", new TextToSpeechOptions { Language = "de", Speed = 2f }));

        Assert.True(fast.Duration < normal.Duration * 0.8, $"{fast.Duration} vs {normal.Duration}");
    }

    [Fact]
    public async Task Speak_UnknownVoice_Throws()
        => await Assert.ThrowsAsync<InvalidOperationException>(() => _client.GetAudioAsync("Hello.", new TextToSpeechOptions { VoiceId = "xx" }));

    [Fact]
    public async Task Speak_TextIsInputNotArguments()
    {
        var wav = ReadWav(await SpeakAsync("--version -v xx; rm -rf / \"quoted\""));

        Assert.True(wav.Duration > TimeSpan.FromMilliseconds(500));
    }
}
