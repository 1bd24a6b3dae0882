using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace StreamingChat.Core;

/// <summary>
/// Speaks answers for callers who ask (<c>enableTTS</c>): sentence by sentence through the registered
/// <see cref="ITextToSpeechClient"/>, beside the text, bounded per answer and per process.
/// </summary>
public sealed class SpeechSynthesis : IDisposable
{
    private readonly ITextToSpeechClient? _client;
    private readonly IOptionsMonitor<SpeechOptions> _options;
    private readonly StreamingChatMetrics _metrics;
    private readonly ILogger<SpeechSynthesis> _logger;
    private readonly SemaphoreSlim _processSlots;

    /// <summary>Creates the synthesis over <paramref name="client"/>; with none, nothing is spoken.</summary>
    public SpeechSynthesis(ITextToSpeechClient? client, IOptionsMonitor<SpeechOptions> options, StreamingChatMetrics metrics, ILogger<SpeechSynthesis> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(logger);
        _client = client;
        _options = options;
        _metrics = metrics;
        _logger = logger;
        _processSlots = new SemaphoreSlim(options.CurrentValue.MaxConcurrentPerProcess);
    }

    /// <summary>Whether answers can be spoken at all.</summary>
    public bool Available => _client is not null && _options.CurrentValue.Enabled;

    /// <inheritdoc/>
    public void Dispose() => _processSlots.Dispose();

    /// <summary>Starts speaking an answer; null when the caller did not ask or speech is off.</summary>
    internal SpeechSession? Begin(PreparedAnswer chat, CancellationToken cancellationToken)
    {
        if (!chat.SpeakAnswer || !Available)
        {
            return null;
        }

        var settings = _options.CurrentValue;
        var chatbot = chat.Chatbot;
        var format = chatbot.SpeechFormat ?? settings.Format;
        var options = new TextToSpeechOptions
        {
            VoiceId = chatbot.SpeechVoice ?? settings.Voice,
            Language = chatbot.SpeechLanguage ?? settings.Language,
            AudioFormat = format,
        };
        return new SpeechSession(this, _client!, options, format, settings, chatbot.Id, cancellationToken);
    }

    /// <summary>The bound on sentences being spoken at once in this process.</summary>
    internal SemaphoreSlim ProcessSlots => _processSlots;

    internal StreamingChatMetrics Metrics => _metrics;

    internal ILogger Logger => _logger;

    internal static string FormatOf(string mediaType, string requested) => mediaType switch
    {
        "audio/wav" or "audio/wave" or "audio/x-wav" => "wav",
        "audio/mpeg" or "audio/mp3" => "mp3",
        "audio/opus" or "audio/ogg" => requested is "ogg" ? "ogg" : "opus",
        "audio/flac" => "flac",
        "audio/aac" => "aac",
        "audio/pcm" or "audio/l16" => "pcm",
        _ => requested,
    };
}

/// <summary>One answer being spoken: sentences go in as the text completes them; audio comes out in sentence order.</summary>
internal sealed class SpeechSession : IAsyncDisposable
{
    private readonly SpeechSynthesis _synthesis;
    private readonly ITextToSpeechClient _client;
    private readonly TextToSpeechOptions _options;
    private readonly string _format;
    private readonly SpeechOptions _settings;
    private readonly string _chatbotId;
    private readonly SentenceChunker _chunker;
    private readonly SemaphoreSlim _streamSlots;
    private readonly CancellationTokenSource _cancellation;
    private readonly Queue<Task<AnswerAudio>> _pending = new();
    private int _seq;

    public SpeechSession(SpeechSynthesis synthesis, ITextToSpeechClient client, TextToSpeechOptions options, string format, SpeechOptions settings, string chatbotId, CancellationToken cancellationToken)
    {
        _synthesis = synthesis;
        _client = client;
        _options = options;
        _format = format;
        _settings = settings;
        _chatbotId = chatbotId;
        _chunker = new SentenceChunker(settings.MaxSentenceCharacters);
        _streamSlots = new SemaphoreSlim(settings.MaxConcurrentPerStream);
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    /// <summary>Completes when the next sentence in order is spoken; null when none is waiting.</summary>
    public Task? NextReady => _pending.Count > 0 ? _pending.Peek() : null;

    /// <summary>Adds answer text; sentences it completes start being spoken at once.</summary>
    public void Add(string text)
    {
        foreach (var sentence in _chunker.Append(text))
        {
            Start(sentence);
        }
    }

    /// <summary>The answer is complete: the rest of it is spoken too.</summary>
    public void Complete()
    {
        if (_chunker.Flush() is { } rest)
        {
            Start(rest);
        }
    }

    /// <summary>Takes the next sentence's audio if it is ready, keeping sentence order.</summary>
    public bool TryTakeReady(out AnswerAudio audio)
    {
        if (_pending.Count > 0 && _pending.Peek().IsCompleted)
        {
            audio = _pending.Dequeue().Result;
            return true;
        }

        audio = null!;
        return false;
    }

    /// <summary>Waits for every sentence still being spoken, in order.</summary>
    public async IAsyncEnumerable<AnswerAudio> DrainAsync()
    {
        while (_pending.Count > 0)
        {
            yield return await _pending.Dequeue().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cancellation.CancelAsync().ConfigureAwait(false);
        while (_pending.Count > 0)
        {
            try
            {
                await _pending.Dequeue().ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Given up with the answer.
            }
        }

        _cancellation.Dispose();
        _streamSlots.Dispose();
    }

    private void Start(string sentence) => _pending.Enqueue(SpeakAsync(_seq++, sentence, _cancellation.Token));

    private async Task<AnswerAudio> SpeakAsync(int seq, string text, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var processSlots = _synthesis.ProcessSlots;
        var (streamSlot, processSlot) = (false, false);
        try
        {
            await _streamSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
            streamSlot = true;
            await processSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
            processSlot = true;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(_settings.TimeoutSeconds));
            started = Stopwatch.GetTimestamp();
            TextToSpeechResponse response;
            try
            {
                response = await _client.GetAudioAsync(text, _options, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Speech took longer than {_settings.TimeoutSeconds} s.");
            }

            var audio = response.Contents.OfType<DataContent>().FirstOrDefault()
                ?? throw new InvalidOperationException("The speech service returned no audio.");
            _synthesis.Metrics.SentenceSpoken(_chatbotId, Stopwatch.GetElapsedTime(started), null);
            return new AnswerAudio(seq, text, SpeechSynthesis.FormatOf(audio.MediaType, _format), audio.Data);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            var errorType = ex is TimeoutException ? "timeout" : ex.GetType().Name;
            _synthesis.Metrics.SentenceSpoken(_chatbotId, Stopwatch.GetElapsedTime(started), errorType);
            Log.SpeechFailed(_synthesis.Logger, _chatbotId, seq, ex);
            return new AnswerAudio(seq, text, _format, ReadOnlyMemory<byte>.Empty, ex is TimeoutException ? ex.Message : "The sentence could not be spoken.");
        }
        finally
        {
            if (processSlot)
            {
                processSlots.Release();
            }

            if (streamSlot)
            {
                _streamSlots.Release();
            }
        }
    }
}
