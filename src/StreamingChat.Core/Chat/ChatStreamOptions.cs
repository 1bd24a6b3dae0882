using System.ComponentModel.DataAnnotations;

namespace StreamingChat.Core;

/// <summary>Questions, answers and history, bound from <c>StreamingChat:Chat</c> (the web package binds its event-stream settings from the same section).</summary>
public sealed class ChatStreamOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "StreamingChat:Chat";

    /// <summary>The longest question accepted, in characters (default 8000).</summary>
    [Range(1, 60_000)]
    public int MaxQueryLength { get; set; } = 8000;

    /// <summary>How many earlier question-and-answer turns of the session go into the prompt (default 10).</summary>
    [Range(0, 100)]
    public int HistoryTurns { get; set; } = 10;

    /// <summary>The most characters of history that go into the prompt; the oldest turns are dropped first (default 16000).</summary>
    [Range(0, 1_000_000)]
    public int MaxHistoryCharacters { get; set; } = 16_000;

    /// <summary>How long storing a turn may take before it is given up and logged (default 10 s).</summary>
    [Range(0.1, 300)]
    public double PersistTimeoutSeconds { get; set; } = 10;

    /// <summary>How many turns the in-memory conversation store keeps per session (default 200).</summary>
    [Range(1, 100_000)]
    public int InMemoryMessagesPerSession { get; set; } = 200;

    /// <summary>
    /// How many sessions the in-memory conversation store keeps (default 10,000); past it, the session written to least
    /// recently is forgotten, so a long-running process does not grow with every new caller.
    /// </summary>
    [Range(1, 10_000_000)]
    public int InMemorySessions { get; set; } = 10_000;

    /// <summary>
    /// How long the model may take to send the first token before the answer ends with <c>upstream_timeout</c>
    /// (default 60 s; 0 turns it off).
    /// </summary>
    [Range(0, 3600)]
    public double FirstTokenTimeoutSeconds { get; set; } = 60;

    /// <summary>
    /// How long the model may stay silent between tokens before the answer ends with <c>upstream_timeout</c>
    /// (default 30 s; 0 turns it off).
    /// </summary>
    [Range(0, 3600)]
    public double IdleTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// How long an answer runs on with no reader before its model call is cancelled and what was said is stored as
    /// <c>interrupted</c> (default 10 s; 0 = as soon as the last reader leaves). A reader that comes back in time resumes it.
    /// </summary>
    [Range(0, 3600)]
    public double DisconnectGraceSeconds { get; set; } = 10;

    /// <summary>
    /// The chatbot a front-end protocol's question goes to when its body names none (<c>chatbotId</c> in the AI SDK body or
    /// in AG-UI's <c>forwardedProps</c>); empty (the default) makes the member required.
    /// </summary>
    [MaxLength(64)]
    public string DefaultChatbotId { get; set; } = "";

    /// <summary>
    /// Whether the model's reasoning reaches callers as <c>reasoning</c> events (default true). It is stored with the turn
    /// either way.
    /// </summary>
    public bool SendReasoning { get; set; } = true;

    /// <summary>
    /// How long one tool call may run before it ends as a <c>tool-result</c> with an error and the model goes on (default
    /// 30 s). The model's own timeouts do not run while a tool does.
    /// </summary>
    [Range(0.1, 3600)]
    public double ToolTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// How many times one answer may go back to the model with tool results (default 5); the last round is asked to answer
    /// without tools.
    /// </summary>
    [Range(1, 50)]
    public int MaxToolRounds { get; set; } = 5;
}
