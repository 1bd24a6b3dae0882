namespace StreamingChat.Core;

/// <summary>The kinds of event in an answer's stream (API.md: <c>start</c>, <c>token</c>, <c>done</c>, <c>error</c>).</summary>
public enum ChatStreamEventKind
{
    /// <summary>The stream began; see <see cref="ChatStreamEvent.Start"/>.</summary>
    Start,

    /// <summary>A piece of the answer; see <see cref="ChatStreamEvent.Text"/>.</summary>
    Token,

    /// <summary>The answer is complete; see <see cref="ChatStreamEvent.Done"/>. Terminal.</summary>
    Done,

    /// <summary>The answer failed; see <see cref="ChatStreamEvent.Error"/>. Terminal.</summary>
    Error,

    /// <summary>One sentence of the answer spoken; see <see cref="ChatStreamEvent.Audio"/>.</summary>
    Audio,
}

/// <summary>
/// One event of an answer's stream. A struct, so that relaying a token allocates nothing beyond the token's text.
/// </summary>
public readonly struct ChatStreamEvent
{
    private readonly object? _payload;

    private ChatStreamEvent(ChatStreamEventKind kind, string? text, object? payload)
    {
        Kind = kind;
        Text = text;
        _payload = payload;
    }

    /// <summary>What kind of event this is.</summary>
    public ChatStreamEventKind Kind { get; }

    /// <summary>The token's text, for <see cref="ChatStreamEventKind.Token"/>.</summary>
    public string? Text { get; }

    /// <summary>The stream's opening facts, for <see cref="ChatStreamEventKind.Start"/>.</summary>
    public ChatStreamStart? Start => _payload as ChatStreamStart;

    /// <summary>The completion facts, for <see cref="ChatStreamEventKind.Done"/>.</summary>
    public ChatStreamDone? Done => _payload as ChatStreamDone;

    /// <summary>The failure, for <see cref="ChatStreamEventKind.Error"/>.</summary>
    public ChatStreamError? Error => _payload as ChatStreamError;

    /// <summary>The spoken sentence, for <see cref="ChatStreamEventKind.Audio"/>.</summary>
    public ChatStreamAudio? Audio => _payload as ChatStreamAudio;

    /// <summary>Whether this event ends the stream.</summary>
    public bool IsTerminal => Kind is ChatStreamEventKind.Done or ChatStreamEventKind.Error;

    /// <summary>Creates a <c>start</c> event.</summary>
    public static ChatStreamEvent ForStart(ChatStreamStart start) => new(ChatStreamEventKind.Start, null, start ?? throw new ArgumentNullException(nameof(start)));

    /// <summary>Creates a <c>token</c> event.</summary>
    public static ChatStreamEvent ForToken(string text) => new(ChatStreamEventKind.Token, text ?? throw new ArgumentNullException(nameof(text)), null);

    /// <summary>Creates a <c>done</c> event.</summary>
    public static ChatStreamEvent ForDone(ChatStreamDone done) => new(ChatStreamEventKind.Done, null, done ?? throw new ArgumentNullException(nameof(done)));

    /// <summary>Creates an <c>error</c> event.</summary>
    public static ChatStreamEvent ForError(ChatStreamError error) => new(ChatStreamEventKind.Error, null, error ?? throw new ArgumentNullException(nameof(error)));

    /// <summary>Creates an <c>audio</c> event.</summary>
    public static ChatStreamEvent ForAudio(ChatStreamAudio audio) => new(ChatStreamEventKind.Audio, null, audio ?? throw new ArgumentNullException(nameof(audio)));

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        ChatStreamEventKind.Token => $"token {Text}",
        ChatStreamEventKind.Error => $"error {Error!.Code}",
        ChatStreamEventKind.Audio => $"audio {Audio!.Seq}",
        _ => Kind.ToString().ToLowerInvariant(),
    };
}

/// <summary>The facts of a <c>start</c> event.</summary>
/// <param name="MessageId">The id the answer is stored under.</param>
/// <param name="SessionId">The conversation.</param>
/// <param name="ChatbotId">The chatbot.</param>
/// <param name="Model">The model asked.</param>
/// <param name="Streaming">Whether tokens are streamed as they come (false: the answer arrives in one token event).</param>
/// <param name="SessionKey">The session's key when sessions are owned by key holders (<c>start.sessionKey</c>); else null.</param>
public sealed record ChatStreamStart(string MessageId, string SessionId, string ChatbotId, string Model, bool Streaming, string? SessionKey = null);

/// <summary>Token counts of one answer, as the model reported them.</summary>
/// <param name="InputTokens">Tokens of the prompt.</param>
/// <param name="OutputTokens">Tokens of the answer.</param>
public sealed record ChatTokenUsage(long? InputTokens, long? OutputTokens);

/// <summary>The facts of a <c>done</c> event.</summary>
/// <param name="FinishReason">Why the model stopped (<c>stop</c>, <c>length</c>, <c>content_filter</c>, …).</param>
/// <param name="Usage">Token counts, when the model reported them.</param>
/// <param name="FirstTokenMs">Milliseconds from the question to the first token; null when there was none.</param>
/// <param name="TotalMs">Milliseconds from the question to the end of the answer.</param>
public sealed record ChatStreamDone(string FinishReason, ChatTokenUsage? Usage, long? FirstTokenMs, long TotalMs);

/// <summary>The facts of an <c>error</c> event.</summary>
/// <param name="Code">One of <see cref="ChatErrorCodes"/>.</param>
/// <param name="Message">A message for people; never a secret or the upstream's raw body.</param>
/// <param name="Retryable">Whether asking again may succeed.</param>
public sealed record ChatStreamError(string Code, string Message, bool Retryable);

/// <summary>The facts of an <c>audio</c> event: one sentence of the answer, spoken.</summary>
/// <param name="Seq">The sentence's place in the answer, from 0.</param>
/// <param name="Text">The sentence.</param>
/// <param name="Format">The audio format (<c>wav</c>, <c>mp3</c>, …).</param>
/// <param name="Data">The audio; empty when <paramref name="Error"/> says why there is none.</param>
/// <param name="Error">Why this sentence could not be spoken; null when it was.</param>
public sealed record ChatStreamAudio(int Seq, string Text, string Format, ReadOnlyMemory<byte> Data, string? Error = null);
