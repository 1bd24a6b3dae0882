namespace StreamingChat.Core;

/// <summary>The kinds of event in an answer's stream (API.md: <c>start</c>, <c>token</c>, <c>done</c>, <c>error</c>).</summary>
public enum AnswerEventKind
{
    /// <summary>The stream began; see <see cref="AnswerEvent.Start"/>.</summary>
    Start,

    /// <summary>A piece of the answer; see <see cref="AnswerEvent.Text"/>.</summary>
    Token,

    /// <summary>The answer is complete; see <see cref="AnswerEvent.Done"/>. Terminal.</summary>
    Done,

    /// <summary>The answer failed; see <see cref="AnswerEvent.Error"/>. Terminal.</summary>
    Error,

    /// <summary>One sentence of the answer spoken; see <see cref="AnswerEvent.Audio"/>.</summary>
    Audio,

    /// <summary>A piece of the model's reasoning, not of the answer; see <see cref="AnswerEvent.Text"/>.</summary>
    Reasoning,

    /// <summary>The model asked for a tool; see <see cref="AnswerEvent.ToolCall"/>.</summary>
    ToolCall,

    /// <summary>A tool's output or failure; see <see cref="AnswerEvent.ToolResult"/>.</summary>
    ToolResult,

    /// <summary>A tool call waits for a person's approval; see <see cref="AnswerEvent.ApprovalRequest"/>.</summary>
    ApprovalRequest,

    /// <summary>A source the answer cites; see <see cref="AnswerEvent.Source"/>.</summary>
    Source,
}

/// <summary>
/// One event of an answer's stream. A struct, so that relaying a token allocates nothing beyond the token's text.
/// </summary>
public readonly struct AnswerEvent
{
    private readonly object? _payload;

    private AnswerEvent(AnswerEventKind kind, string? text, object? payload)
    {
        Kind = kind;
        Text = text;
        _payload = payload;
    }

    /// <summary>What kind of event this is.</summary>
    public AnswerEventKind Kind { get; }

    /// <summary>The text, for <see cref="AnswerEventKind.Token"/> and <see cref="AnswerEventKind.Reasoning"/>.</summary>
    public string? Text { get; }

    /// <summary>The stream's opening facts, for <see cref="AnswerEventKind.Start"/>.</summary>
    public AnswerStart? Start => _payload as AnswerStart;

    /// <summary>The completion facts, for <see cref="AnswerEventKind.Done"/>.</summary>
    public AnswerDone? Done => _payload as AnswerDone;

    /// <summary>The failure, for <see cref="AnswerEventKind.Error"/>.</summary>
    public AnswerError? Error => _payload as AnswerError;

    /// <summary>The spoken sentence, for <see cref="AnswerEventKind.Audio"/>.</summary>
    public AnswerAudio? Audio => _payload as AnswerAudio;

    /// <summary>The tool call, for <see cref="AnswerEventKind.ToolCall"/>.</summary>
    public AnswerToolCall? ToolCall => _payload as AnswerToolCall;

    /// <summary>The tool's result, for <see cref="AnswerEventKind.ToolResult"/>.</summary>
    public AnswerToolResult? ToolResult => _payload as AnswerToolResult;

    /// <summary>The approval asked for, for <see cref="AnswerEventKind.ApprovalRequest"/>.</summary>
    public AnswerApprovalRequest? ApprovalRequest => _payload as AnswerApprovalRequest;

    /// <summary>The source, for <see cref="AnswerEventKind.Source"/>.</summary>
    public AnswerSource? Source => _payload as AnswerSource;

    /// <summary>Whether this event ends the stream.</summary>
    public bool IsTerminal => Kind is AnswerEventKind.Done or AnswerEventKind.Error;

    /// <summary>Creates a <c>start</c> event.</summary>
    public static AnswerEvent ForStart(AnswerStart start) => new(AnswerEventKind.Start, null, start ?? throw new ArgumentNullException(nameof(start)));

    /// <summary>Creates a <c>token</c> event.</summary>
    public static AnswerEvent ForToken(string text) => new(AnswerEventKind.Token, text ?? throw new ArgumentNullException(nameof(text)), null);

    /// <summary>Creates a <c>done</c> event.</summary>
    public static AnswerEvent ForDone(AnswerDone done) => new(AnswerEventKind.Done, null, done ?? throw new ArgumentNullException(nameof(done)));

    /// <summary>Creates an <c>error</c> event.</summary>
    public static AnswerEvent ForError(AnswerError error) => new(AnswerEventKind.Error, null, error ?? throw new ArgumentNullException(nameof(error)));

    /// <summary>Creates an <c>audio</c> event.</summary>
    public static AnswerEvent ForAudio(AnswerAudio audio) => new(AnswerEventKind.Audio, null, audio ?? throw new ArgumentNullException(nameof(audio)));

    /// <summary>Creates a <c>reasoning</c> event.</summary>
    public static AnswerEvent ForReasoning(string text) => new(AnswerEventKind.Reasoning, text ?? throw new ArgumentNullException(nameof(text)), null);

    /// <summary>Creates a <c>tool-call</c> event.</summary>
    public static AnswerEvent ForToolCall(AnswerToolCall call) => new(AnswerEventKind.ToolCall, null, call ?? throw new ArgumentNullException(nameof(call)));

    /// <summary>Creates a <c>tool-result</c> event.</summary>
    public static AnswerEvent ForToolResult(AnswerToolResult result) => new(AnswerEventKind.ToolResult, null, result ?? throw new ArgumentNullException(nameof(result)));

    /// <summary>Creates an <c>approval-request</c> event.</summary>
    public static AnswerEvent ForApprovalRequest(AnswerApprovalRequest request) => new(AnswerEventKind.ApprovalRequest, null, request ?? throw new ArgumentNullException(nameof(request)));

    /// <summary>Creates a <c>source</c> event.</summary>
    public static AnswerEvent ForSource(AnswerSource source) => new(AnswerEventKind.Source, null, source ?? throw new ArgumentNullException(nameof(source)));

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        AnswerEventKind.ToolCall => $"tool-call {ToolCall!.ToolName}",
        AnswerEventKind.ToolResult => $"tool-result {ToolResult!.ToolCallId}",
        AnswerEventKind.Token => $"token {Text}",
        AnswerEventKind.Error => $"error {Error!.Code}",
        AnswerEventKind.Audio => $"audio {Audio!.Seq}",
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
public sealed record AnswerStart(string MessageId, string SessionId, string ChatbotId, string Model, bool Streaming, string? SessionKey = null)
{
    /// <summary>
    /// The answer this one continues (the one paused for the approval it answers), or null. Front ends that build one
    /// message from a paused answer and its continuation (the AI SDK) are given that answer's id.
    /// </summary>
    public string? Continues { get; init; }
}

/// <summary>Token counts of one answer, as the model reported them.</summary>
/// <param name="InputTokens">Tokens of the prompt.</param>
/// <param name="OutputTokens">Tokens of the answer.</param>
public sealed record AnswerUsage(long? InputTokens, long? OutputTokens);

/// <summary>The facts of a <c>done</c> event.</summary>
/// <param name="FinishReason">Why the model stopped (<c>stop</c>, <c>length</c>, <c>content_filter</c>, …).</param>
/// <param name="Usage">Token counts, when the model reported them.</param>
/// <param name="FirstTokenMs">Milliseconds from the question to the first token; null when there was none.</param>
/// <param name="TotalMs">Milliseconds from the question to the end of the answer.</param>
public sealed record AnswerDone(string FinishReason, AnswerUsage? Usage, long? FirstTokenMs, long TotalMs);

/// <summary>The facts of an <c>error</c> event.</summary>
/// <param name="Code">One of <see cref="ChatErrorCodes"/>.</param>
/// <param name="Message">A message for people; never a secret or the upstream's raw body.</param>
/// <param name="Retryable">Whether asking again may succeed.</param>
public sealed record AnswerError(string Code, string Message, bool Retryable);

/// <summary>The facts of an <c>audio</c> event: one sentence of the answer, spoken.</summary>
/// <param name="Seq">The sentence's place in the answer, from 0.</param>
/// <param name="Text">The sentence.</param>
/// <param name="Format">The audio format (<c>wav</c>, <c>mp3</c>, …).</param>
/// <param name="Data">The audio; empty when <paramref name="Error"/> says why there is none.</param>
/// <param name="Error">Why this sentence could not be spoken; null when it was.</param>
public sealed record AnswerAudio(int Seq, string Text, string Format, ReadOnlyMemory<byte> Data, string? Error = null);
