using System.ComponentModel.DataAnnotations;

namespace StreamingChat.Core;

/// <summary>Spoken answers (<c>enableTTS</c>), bound from <c>StreamingChat:Speech</c>.</summary>
public sealed class SpeechOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "StreamingChat:Speech";

    /// <summary>Whether a caller may ask for spoken answers (default true); with false, <c>enableTTS</c> is ignored.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The voice, when a chatbot names none; the speech client's default when empty.</summary>
    [MaxLength(128)]
    public string? Voice { get; set; }

    /// <summary>The language, when a chatbot names none (default <c>en-US</c>).</summary>
    [MaxLength(35)]
    public string? Language { get; set; } = "en-US";

    /// <summary>The audio format, when a chatbot names none (default <c>wav</c>).</summary>
    [Required]
    [RegularExpression("^(wav|mp3|opus|ogg|flac|aac|pcm)$")]
    public string Format { get; set; } = "wav";

    /// <summary>The longest piece of text spoken at once; a longer sentence is cut at a comma or space (default 400).</summary>
    [Range(20, 5000)]
    public int MaxSentenceCharacters { get; set; } = 400;

    /// <summary>Sentences of one answer synthesized at once (default 2).</summary>
    [Range(1, 64)]
    public int MaxConcurrentPerStream { get; set; } = 2;

    /// <summary>Sentences synthesized at once in this process, over every answer (default 8).</summary>
    [Range(1, 4096)]
    public int MaxConcurrentPerProcess { get; set; } = 8;

    /// <summary>How long one sentence may take to synthesize before it gets an audio event with an error (default 30 s).</summary>
    [Range(0.1, 600)]
    public double TimeoutSeconds { get; set; } = 30;
}
