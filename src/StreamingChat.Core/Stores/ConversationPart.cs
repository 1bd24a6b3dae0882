using System.Text.Json;

namespace StreamingChat.Core;

/// <summary>
/// One part of an answer as it is stored and shown again (<c>GET /api/chat/sessions/{id}</c>): its text, its reasoning, a
/// tool call with its result, an approval asked for, a source. <see cref="Type"/> says which members are set.
/// </summary>
public sealed record ConversationPart
{
    /// <summary>A run of the answer's text: <see cref="Text"/>.</summary>
    public const string TextType = "text";

    /// <summary>A run of the model's reasoning: <see cref="Text"/>.</summary>
    public const string ReasoningType = "reasoning";

    /// <summary>A tool call: <see cref="ToolCallId"/>, <see cref="ToolName"/>, <see cref="Input"/>, <see cref="State"/>, and <see cref="Output"/> or <see cref="Error"/> once it ran; <see cref="ApprovalId"/> when it needed approval.</summary>
    public const string ToolType = "tool";

    /// <summary>A source cited: <see cref="SourceId"/>, <see cref="Url"/>, <see cref="Title"/>.</summary>
    public const string SourceType = "source";

    /// <summary>Which part this is: <see cref="TextType"/>, <see cref="ReasoningType"/>, <see cref="ToolType"/> or <see cref="SourceType"/>.</summary>
    public required string Type { get; init; }

    /// <summary>The text of a text or reasoning part.</summary>
    public string? Text { get; init; }

    /// <summary>A tool part's call id.</summary>
    public string? ToolCallId { get; init; }

    /// <summary>A tool part's tool.</summary>
    public string? ToolName { get; init; }

    /// <summary>
    /// A tool part's state: <c>input-available</c> (asked for, no result), <c>approval-requested</c> (waiting for a person),
    /// <c>output-available</c>, <c>output-error</c> or <c>output-denied</c>.
    /// </summary>
    public string? State { get; init; }

    /// <summary>A tool part's arguments.</summary>
    public JsonElement? Input { get; init; }

    /// <summary>A tool part's output, once it ran.</summary>
    public JsonElement? Output { get; init; }

    /// <summary>Why a tool part has no output.</summary>
    public string? Error { get; init; }

    /// <summary>The approval a tool part asked for, when it needed one.</summary>
    public string? ApprovalId { get; init; }

    /// <summary>A source part's id.</summary>
    public string? SourceId { get; init; }

    /// <summary>A source part's address.</summary>
    public string? Url { get; init; }

    /// <summary>A source part's title.</summary>
    public string? Title { get; init; }
}
