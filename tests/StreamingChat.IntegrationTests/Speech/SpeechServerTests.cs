using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>Spoken answers from the running host: the embedded espeak-ng, OpenAI's speech API and Google's, each for real over HTTP or as a process.</summary>
public sealed class SpeechServerTests
{
    private static async Task<List<ReceivedEvent>> AskAsync(HostInstance host, bool enableTTS, string query = "Tell me about streaming.")
    {
        using var response = await host.PostStreamAsync(new { query, chatbotId = "demo", sessionId = "speech", enableTTS });
        response.EnsureSuccessStatusCode();
        var events = new List<ReceivedEvent>();
        await foreach (var e in SseTestClient.ReadEventsAsync(await response.Content.ReadAsStreamAsync()))
        {
            events.Add(e);
        }

        return events;
    }

    private static List<string> Sentences(string answer)
    {
        var chunker = new SentenceChunker();
        var sentences = chunker.Append(answer).ToList();
        if (chunker.Flush() is { } rest)
        {
            sentences.Add(rest);
        }

        return sentences;
    }

    [Fact]
    public async Task EmbeddedDefaults_EnableTts_AudioEventsArePlayableWav_OnePerSentence_InterleavedWithTokens()
    {
        await using var host = await HostInstance.StartAsync("--StreamingChat:Model:Offline:FirstTokenDelayMs=20", "--StreamingChat:Model:Offline:TokenIntervalMs=40");

        var events = await AskAsync(host, enableTTS: true);

        var answer = string.Concat(events.Where(e => e.Type == "token").Select(e => e.Text));
        var audio = events.Where(e => e.Type == "audio").ToList();
        Assert.Equal(Sentences(answer), audio.Select(a => a.Data.GetProperty("text").GetString()));
        Assert.Equal(Enumerable.Range(0, audio.Count), audio.Select(a => a.Data.GetProperty("seq").GetInt32()));
        foreach (var a in audio)
        {
            Assert.Equal("wav", a.Data.GetProperty("format").GetString());
            var wav = Convert.FromBase64String(a.Data.GetProperty("data").GetString()!);
            Assert.Equal("RIFF"u8.ToArray(), wav[..4]);
            Assert.Equal("WAVE"u8.ToArray(), wav[8..12]);
            Assert.Equal(wav.Length - 8, BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(4)));
        }

        var types = events.Select(e => e.Type).ToList();
        Assert.True(types.IndexOf("token") < types.IndexOf("audio"));
        Assert.True(types.IndexOf("audio") < types.LastIndexOf("token"), "audio events come while the text is still streaming");
        Assert.Equal("done", types[^1]);
    }

    [Fact]
    public async Task EnableTtsFalse_NoAudio()
    {
        await using var host = await HostInstance.StartAsync("--StreamingChat:Model:Offline:FirstTokenDelayMs=0", "--StreamingChat:Model:Offline:TokenIntervalMs=0");

        var events = await AskAsync(host, enableTTS: false);

        Assert.DoesNotContain(events, e => e.Type == "audio");
        Assert.Equal("done", events[^1].Type);
    }

    [Fact]
    public async Task OpenAISpeech_SendsEachSentenceToTheSpeechApi_AndRelaysTheAudio()
    {
        await using var upstream = await FakeOpenAIServer.StartAsync();
        upstream.Default = new FakeCompletion { Tokens = ["Hello", " there.", " How", " are you?"] };
        await using var host = await HostInstance.StartWithUpstreamAsync(upstream, "--StreamingChat:Speech:Provider=OpenAI", "--StreamingChat:Speech:OpenAI:Voice=nova");

        var events = await AskAsync(host, enableTTS: true);

        var audio = events.Where(e => e.Type == "audio").ToList();
        Assert.Equal(["Hello there.", "How are you?"], audio.Select(a => a.Data.GetProperty("text").GetString()));
        Assert.All(audio, a => Assert.Equal(FakeOpenAIServer.TinyWav, Convert.FromBase64String(a.Data.GetProperty("data").GetString()!)));
        var requests = upstream.SpeechRequests.OrderBy(r => r.Body["input"]!.GetValue<string>(), StringComparer.Ordinal).ToList();
        Assert.Equal(["Hello there.", "How are you?"], requests.Select(r => r.Body["input"]!.GetValue<string>()));
        Assert.All(requests, r =>
        {
            Assert.Equal("gpt-4o-mini-tts", r.Body["model"]!.GetValue<string>());
            Assert.Equal("nova", r.Body["voice"]!.GetValue<string>());
            Assert.Equal("wav", r.Body["response_format"]!.GetValue<string>());
            Assert.Equal("Bearer test-key", r.Authorization);
        });
    }

    [Fact]
    public async Task OnePieceAnswer_WithEnableTts_AsksForNoSpeech()
    {
        await using var upstream = await FakeOpenAIServer.StartAsync();
        upstream.Default = new FakeCompletion { Tokens = ["Hello", " there."] };
        await using var host = await HostInstance.StartWithUpstreamAsync(upstream, "--StreamingChat:Speech:Provider=OpenAI");

        using var response = await host.Client.PostAsJsonAsync("/api/chat/query", new { query = "Hi", chatbotId = "demo", sessionId = "one-piece-tts", enableTTS = true });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Hello there.", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("answer").GetString());
        Assert.Empty(upstream.SpeechRequests); // one JSON document has no place for audio, so none is made
    }

    [Fact]
    public async Task GoogleSpeech_CallsTextSynthesizeWithTheKeyAndVoice_AndRelaysTheAudio()
    {
        await using var google = await FakeGoogleSpeechServer.StartAsync();
        await using var upstream = await FakeOpenAIServer.StartAsync();
        upstream.Default = new FakeCompletion { Tokens = ["Guten", " Tag.", " Wie", " geht's?"] };
        await using var host = await HostInstance.StartWithUpstreamAsync(upstream,
            "--StreamingChat:Speech:Provider=Google", "--StreamingChat:Speech:Google:ApiKey=google-test-key", $"--StreamingChat:Speech:Google:Endpoint={google.Endpoint}",
            "--StreamingChat:Chatbots:demo:SpeechLanguage=de-DE", "--StreamingChat:Chatbots:demo:SpeechVoice=de-DE-Standard-A");

        var events = await AskAsync(host, enableTTS: true);

        var audio = events.Where(e => e.Type == "audio").ToList();
        Assert.Equal(["Guten Tag.", "Wie geht's?"], audio.Select(a => a.Data.GetProperty("text").GetString()));
        Assert.All(audio, a => Assert.Equal(FakeOpenAIServer.TinyWav, Convert.FromBase64String(a.Data.GetProperty("data").GetString()!)));
        Assert.Equal(2, google.Requests.Count);
        Assert.All(google.Requests, r =>
        {
            Assert.Equal("google-test-key", r.ApiKey);
            Assert.Equal("de-DE", r.Body["voice"]!["languageCode"]!.GetValue<string>());
            Assert.Equal("de-DE-Standard-A", r.Body["voice"]!["name"]!.GetValue<string>());
            Assert.Equal("LINEAR16", r.Body["audioConfig"]!["audioEncoding"]!.GetValue<string>());
        });
        Assert.Equal(["Guten Tag.", "Wie geht's?"], google.Requests.Select(r => r.Body["input"]!["text"]!.GetValue<string>()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task GoogleSpeech_Failing_GivesAudioEventsWithAnError_AndTheTextStillCompletes()
    {
        await using var google = await FakeGoogleSpeechServer.StartAsync();
        google.FailStatus = 403;
        await using var upstream = await FakeOpenAIServer.StartAsync();
        upstream.Default = new FakeCompletion { Tokens = ["One.", " Two."] };
        await using var host = await HostInstance.StartWithUpstreamAsync(upstream,
            "--StreamingChat:Speech:Provider=Google", "--StreamingChat:Speech:Google:ApiKey=wrong", $"--StreamingChat:Speech:Google:Endpoint={google.Endpoint}");

        var events = await AskAsync(host, enableTTS: true);

        var audio = events.Where(e => e.Type == "audio").ToList();
        Assert.Equal(2, audio.Count);
        Assert.All(audio, a => Assert.True(a.Data.TryGetProperty("error", out _)));
        Assert.All(audio, a => Assert.False(a.Data.TryGetProperty("data", out _)));
        Assert.Equal("One. Two.", string.Concat(events.Where(e => e.Type == "token").Select(e => e.Text)));
        Assert.Equal("done", events[^1].Type);
    }
}
