using System.Buffers.Binary;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace StreamingChat.Core;

/// <summary>Where the embedded speech finds its program, bound from <c>StreamingChat:Speech:Embedded</c>.</summary>
public sealed class EmbeddedSpeechOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "StreamingChat:Speech:Embedded";

    /// <summary>The <c>espeak-ng</c> program (default <c>espeak-ng</c> on the PATH; Debian's package <c>espeak-ng</c>).</summary>
    [Required(AllowEmptyStrings = false)]
    public string Executable { get; set; } = "espeak-ng";

    /// <summary>Words per minute at speed 1 (default 175, espeak-ng's own; espeak-ng takes 80 to 500).</summary>
    [Range(80, 500)]
    public int WordsPerMinute { get; set; } = 175;
}

/// <summary>
/// The embedded speech: runs <c>espeak-ng</c> once per sentence and returns WAV, so a machine speaks with no account.
/// The text goes in on standard input (never on the command line); the voice is the options' voice, else the language
/// (<c>en-US</c> → <c>en-us</c>). espeak-ng writes WAV to a pipe with placeholder sizes; the header is corrected so every
/// player reads the length.
/// </summary>
internal sealed class EspeakNgTextToSpeechClient(IOptions<EmbeddedSpeechOptions> options) : ITextToSpeechClient
{
    private readonly EmbeddedSpeechOptions _options = options.Value;

    /// <inheritdoc/>
    public async Task<TextToSpeechResponse> GetAudioAsync(string text, TextToSpeechOptions? options = null, CancellationToken cancellationToken = default)
    {
        // Over 60 lines: one child process's life (start, feed, read, wait, each way it fails) cleaned up in one place.
        ArgumentNullException.ThrowIfNull(text);
        var info = new ProcessStartInfo(_options.Executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("--stdout");
        info.ArgumentList.Add("-b");
        info.ArgumentList.Add("1"); // input is UTF-8
        var voice = options?.VoiceId ?? options?.Language?.ToLowerInvariant();
        if (!string.IsNullOrWhiteSpace(voice))
        {
            info.ArgumentList.Add("-v");
            info.ArgumentList.Add(voice);
        }

        if (options?.Speed is { } speed and > 0)
        {
            info.ArgumentList.Add("-s");
            info.ArgumentList.Add(((int)(_options.WordsPerMinute * speed)).ToString(CultureInfo.InvariantCulture));
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("espeak-ng could not be started.");
        using var kill = cancellationToken.Register(() =>
        {
            try
            {
                process.Kill();
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        });
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var audio = new MemoryStream();
        var output = process.StandardOutput.BaseStream.CopyToAsync(audio, cancellationToken);
        try
        {
            await process.StandardInput.WriteAsync(text.AsMemory(), cancellationToken).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The program ended before it read the text (an unknown voice, say): its exit code and message say why, below.
        }

        await output.ConfigureAwait(false);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        var message = await error.ConfigureAwait(false);
        if (process.ExitCode != 0 || audio.Length <= 44)
        {
            throw new InvalidOperationException($"espeak-ng failed (exit {process.ExitCode}): {message.Trim()}");
        }

        var wav = audio.ToArray();
        FixWavSizes(wav);
        return new TextToSpeechResponse([new DataContent(wav, "audio/wav")]) { ModelId = "espeak-ng" };
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<TextToSpeechResponseUpdate> GetStreamingAudioAsync(string text, TextToSpeechOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetAudioAsync(text, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToTextToSpeechResponseUpdates())
        {
            yield return update;
        }
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
        => serviceKey is null && serviceType == typeof(TextToSpeechClientMetadata) ? new TextToSpeechClientMetadata("espeak-ng", null, "espeak-ng")
            : serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    /// <inheritdoc/>
    public void Dispose()
    {
    }

    /// <summary>Sets the RIFF size and the <c>data</c> chunk's size to what the buffer holds.</summary>
    internal static void FixWavSizes(Span<byte> wav)
    {
        if (wav.Length < 12 || !wav[..4].SequenceEqual("RIFF"u8) || !wav[8..12].SequenceEqual("WAVE"u8))
        {
            throw new InvalidOperationException("espeak-ng did not write WAV.");
        }

        BinaryPrimitives.WriteUInt32LittleEndian(wav[4..8], (uint)(wav.Length - 8));
        var position = 12;
        while (position + 8 <= wav.Length)
        {
            var size = BinaryPrimitives.ReadUInt32LittleEndian(wav[(position + 4)..(position + 8)]);
            if (wav.Slice(position, 4).SequenceEqual("data"u8))
            {
                BinaryPrimitives.WriteUInt32LittleEndian(wav[(position + 4)..(position + 8)], (uint)(wav.Length - position - 8));
                return;
            }

            position += 8 + (int)size + (int)(size & 1);
        }
    }
}
