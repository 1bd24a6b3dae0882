using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StreamingChat.Testing;

namespace StreamingChat.Core.Tests;

/// <summary>Spoken answers in the pipeline, with a fake speech client: order, independence from the text, failures, bounds.</summary>
public sealed class SpeechPipelineTests
{
    private readonly FakeChatClient _model = new() { Tokens = ["First sentence", " here.", " Second", " one!", " Third", " is last"] };
    private readonly FakeTextToSpeechClient _speech = new();

    private TestAnswers Pipeline(SpeechOptions? options = null) => new(
        _model,
        new InMemoryChatbotStore(Options.Create(new ChatbotSeedOptions())),
        new InMemoryConversationStore(Options.Create(new ChatStreamOptions())),
        new StaticOptionsMonitor<ChatStreamOptions>(new ChatStreamOptions()),
        [],
        TestMeterFactory.CreateMetrics(),
        TimeProvider.System,
        NullLogger.Instance,
        new SpeechSynthesis(_speech, new StaticOptionsMonitor<SpeechOptions>(options ?? new SpeechOptions()), TestMeterFactory.CreateMetrics(), NullLogger<SpeechSynthesis>.Instance));

    private static async Task<List<AnswerEvent>> CollectAsync(TestAnswers pipeline, bool enableTts = true, bool streaming = true, Action<AnswerEvent>? seen = null)
    {
        var prepared = await pipeline.PrepareAsync(new ChatQuery("Hi", "demo", "s1", enableTts));
        var events = new List<AnswerEvent>();
        await foreach (var e in pipeline.StreamAsync(prepared!, streaming))
        {
            events.Add(e);
            seen?.Invoke(e);
        }

        return events;
    }

    [Fact]
    public async Task EnableTts_EverySentenceIsSpokenInOrder_AfterTheFirstToken_AndBeforeDone()
    {
        var events = await CollectAsync(Pipeline());

        var audio = events.Where(e => e.Kind == AnswerEventKind.Audio).Select(e => e.Audio!).ToList();
        Assert.Equal(["First sentence here.", "Second one!", "Third is last"], audio.Select(a => a.Text));
        Assert.Equal([0, 1, 2], audio.Select(a => a.Seq));
        Assert.All(audio, a => Assert.Equal(FakeTextToSpeechClient.AudioFor(a.Text), a.Data.ToArray()));
        Assert.All(audio, a => Assert.Equal(("wav", null), (a.Format, a.Error)));
        var firstToken = events.FindIndex(e => e.Kind == AnswerEventKind.Token);
        var firstAudio = events.FindIndex(e => e.Kind == AnswerEventKind.Audio);
        Assert.True(firstToken < firstAudio);
        Assert.Equal(AnswerEventKind.Done, events[^1].Kind);
        Assert.Equal("First sentence here. Second one! Third is last", string.Concat(events.Where(e => e.Kind == AnswerEventKind.Token).Select(e => e.Text)));
        Assert.Equal(("en-US", "wav"), (_speech.Calls[0].Options!.Language, _speech.Calls[0].Options!.AudioFormat));
    }

    [Fact]
    public async Task StalledSynthesizer_DoesNotHoldBackATokenEvent()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _speech.Before = (_, ct) => release.Task.WaitAsync(ct);
        var tokensBeforeAnyAudio = 0;
        var audioSeen = false;

        var events = await CollectAsync(Pipeline(), seen: e =>
        {
            if (e.Kind == AnswerEventKind.Token && !audioSeen)
            {
                tokensBeforeAnyAudio++;
                if (tokensBeforeAnyAudio == 6)
                {
                    release.SetResult(); // every token went out while the synthesizer was stalled
                }
            }

            audioSeen |= e.Kind == AnswerEventKind.Audio;
        });

        Assert.Equal(6, tokensBeforeAnyAudio);
        Assert.Equal(3, events.Count(e => e.Kind == AnswerEventKind.Audio));
        Assert.Equal(AnswerEventKind.Done, events[^1].Kind);
    }

    [Fact]
    public async Task ASentenceThatFails_GetsAnAudioEventWithAnError_AndTheRestGoesOn()
    {
        _speech.FailWhenContains = "Second";

        var events = await CollectAsync(Pipeline());

        var audio = events.Where(e => e.Kind == AnswerEventKind.Audio).Select(e => e.Audio!).ToList();
        Assert.Equal(3, audio.Count);
        Assert.Null(audio[0].Error);
        Assert.NotNull(audio[1].Error);
        Assert.True(audio[1].Data.IsEmpty);
        Assert.Null(audio[2].Error);
        Assert.Equal(AnswerEventKind.Done, events[^1].Kind);
    }

    [Fact]
    public async Task EnableTtsFalse_NothingIsSynthesized()
    {
        var events = await CollectAsync(Pipeline(), enableTts: false);

        Assert.DoesNotContain(events, e => e.Kind == AnswerEventKind.Audio);
        Assert.Empty(_speech.Calls);
    }

    [Fact]
    public async Task SynthesisPerAnswer_IsBounded()
    {
        _model.Tokens = [.. Enumerable.Range(0, 12).Select(i => $"Sentence number {i}. ")];
        _speech.Before = (_, ct) => Task.Delay(30, ct);

        var events = await CollectAsync(Pipeline(new SpeechOptions { MaxConcurrentPerStream = 2 }));

        Assert.Equal(12, events.Count(e => e.Kind == AnswerEventKind.Audio));
        Assert.InRange(_speech.MostRunning, 1, 2);
    }

    [Fact]
    public async Task StreamingOff_TheOneTokenComesFirst_ThenTheAudio()
    {
        var events = await CollectAsync(Pipeline(), streaming: false);

        Assert.Equal(
            [AnswerEventKind.Start, AnswerEventKind.Token, AnswerEventKind.Audio, AnswerEventKind.Audio, AnswerEventKind.Audio, AnswerEventKind.Done],
            events.Select(e => e.Kind));
    }
}
