using System.Text.Json;

namespace StreamingChat.Core;

/// <summary>The facts of a <c>tool-call</c> event: the model asked for a tool to be run.</summary>
/// <param name="ToolCallId">The call's id, as the model named it; its result carries the same id.</param>
/// <param name="ToolName">The tool asked for.</param>
/// <param name="Input">The arguments, as a JSON object (empty when the model sent none or sent arguments that are not JSON).</param>
public sealed record AnswerToolCall(string ToolCallId, string ToolName, JsonElement Input);

/// <summary>The facts of a <c>tool-result</c> event: what a tool gave back, or why it gave nothing.</summary>
/// <param name="ToolCallId">The call this answers.</param>
/// <param name="ToolName">The tool that ran.</param>
/// <param name="Output">What the tool returned, as JSON; null when it failed.</param>
/// <param name="Error">Why the tool gave no output (it threw, took too long, was unknown, was denied); null when it answered.</param>
public sealed record AnswerToolResult(string ToolCallId, string ToolName, JsonElement? Output, string? Error = null);

/// <summary>The facts of an <c>approval-request</c> event: a tool call that waits for a person's yes or no.</summary>
/// <param name="ApprovalId">The approval's id, answered at <c>POST /api/chat/answers/{messageId}/approvals/{approvalId}</c>.</param>
/// <param name="ToolCallId">The call waiting.</param>
/// <param name="ToolName">The tool it would run.</param>
/// <param name="Input">The arguments it would run with.</param>
public sealed record AnswerApprovalRequest(string ApprovalId, string ToolCallId, string ToolName, JsonElement Input);

/// <summary>The facts of a <c>source</c> event: a document the answer cites.</summary>
/// <param name="SourceId">The source's id within the answer.</param>
/// <param name="Url">Where it is.</param>
/// <param name="Title">Its title, when known.</param>
public sealed record AnswerSource(string SourceId, string Url, string? Title = null);
