using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace StreamingChat.Testing;

/// <summary>An <see cref="ITextToSpeechClient"/> for unit tests: records what it is asked, can be held or made to fail per sentence.</summary>
public sealed class FakeTextToSpeechClient : ITextToSpeechClient
{
    private readonly List<(string Text, TextToSpeechOptions? Options)> _calls = [];
    private int _running;
    private int _mostRunning;

    /// <summary>Awaited before each sentence is answered (the sentence's text); lets a test hold or pace synthesis.</summary>
    public Func<string, CancellationToken, Task>? Before { get; set; }

    /// <summary>Sentences containing this text fail.</summary>
    public string? FailWhenContains { get; set; }

    /// <summary>Every sentence asked for, in the order asked.</summary>
    public IReadOnlyList<(string Text, TextToSpeechOptions? Options)> Calls { get { lock (_calls) { return [.. _calls]; } } }

    /// <summary>The most sentences being synthesized at once.</summary>
    public int MostRunning => Volatile.Read(ref _mostRunning);

    /// <summary>The audio for <paramref name="text"/>: its UTF-8 bytes, so tests can tell sentences apart.</summary>
    public static byte[] AudioFor(string text) => System.Text.Encoding.UTF8.GetBytes("audio:" + text);

    /// <inheritdoc/>
    public async Task<TextToSpeechResponse> GetAudioAsync(string text, TextToSpeechOptions? options = null, CancellationToken cancellationToken = default)
    {
        lock (_calls)
        {
            _calls.Add((text, options));
        }

        var running = Interlocked.Increment(ref _running);
        int most;
        while (running > (most = Volatile.Read(ref _mostRunning)) && Interlocked.CompareExchange(ref _mostRunning, running, most) != most)
        {
        }

        try
        {
            if (Before is { } before)
            {
                await before(text, cancellationToken);
            }

            if (FailWhenContains is { } fail && text.Contains(fail, StringComparison.Ordinal))
            {
                throw new HttpRequestException("The speech service failed.");
            }

            return new TextToSpeechResponse([new DataContent(AudioFor(text), "audio/wav")]);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<TextToSpeechResponseUpdate> GetStreamingAudioAsync(string text, TextToSpeechOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var update in (await GetAudioAsync(text, options, cancellationToken)).ToTextToSpeechResponseUpdates())
        {
            yield return update;
        }
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}
