using System.Text.Json;
using System.Text.Json.Serialization;

namespace StreamingChat.AspNetCore;

// The bodies of the HTTP contract as types, for the OpenAPI document only: the endpoints read and write their JSON
// directly (bounded reads with the contract's refusals, writers without intermediate objects), and these records name
// the same members for the document's schemas.

/// <summary>A question (<c>POST /api/chat/query/stream</c>, <c>POST /api/chat/query</c>).</summary>
internal sealed record ChatQueryBody(
    string Query,
    string ChatbotId,
    string? SessionId = null,
    [property: JsonPropertyName("enableTTS")] bool? EnableTts = null,
    string? UserId = null);

/// <summary>Token counts of an answer.</summary>
internal sealed record UsageBody(long? InputTokens, long? OutputTokens);

/// <summary>The whole answer (<c>POST /api/chat/query</c>).</summary>
internal sealed record ChatAnswerBody(string MessageId, string SessionId, string ChatbotId, string Answer, string FinishReason, UsageBody? Usage, long TotalMs);

/// <summary>A session to start, optionally named (<c>POST /api/chat/sessions</c>).</summary>
internal sealed record SessionCreateBody(string? SessionId = null);

/// <summary>A session started: its id, and its key in <c>Key</c> ownership.</summary>
internal sealed record SessionCreatedBody(string SessionId, string? SessionKey);

/// <summary>One part of an answer (<c>type</c>: text, reasoning, tool, source); the members its type has.</summary>
internal sealed record PartBody(string Type, string? Text, string? ToolCallId, string? ToolName, string? State, JsonElement? Input, JsonElement? Output, string? Error, string? ApprovalId, bool? Approved, string? SourceId, string? Url, string? Title);

/// <summary>One turn of a session; an answer's parts beside its content.</summary>
internal sealed record SessionMessageBody(string MessageId, string Role, string Content, string Status, DateTimeOffset CreatedAt, IReadOnlyList<PartBody>? Parts);

/// <summary>A rating of an answer (<c>POST /api/chat/answers/{messageId}/feedback</c>): <c>up</c> or <c>down</c>.</summary>
internal sealed record FeedbackBody(string Rating, string? Comment);

/// <summary>The answer to an approval (<c>POST /api/chat/answers/{messageId}/approvals/{approvalId}</c>).</summary>
internal sealed record ApprovalBody(bool Approved, string? Reason);

/// <summary>The owner's view of a session (<c>GET /api/chat/sessions/{sessionId}</c>).</summary>
internal sealed record SessionBody(string SessionId, string? ChatbotId, string? ActiveMessageId, IReadOnlyList<SessionMessageBody> Messages);

/// <summary>An answer (<c>GET /api/chat/answers/{messageId}</c>).</summary>
internal sealed record AnswerBody(string MessageId, string SessionId, string ChatbotId, string Status, string Answer, long? LastEventId, DateTimeOffset CreatedAt);

/// <summary>A stopped answer, or how an ended one ended (<c>POST /api/chat/answers/{messageId}/stop</c>).</summary>
internal sealed record StopBody(string MessageId, string Status, string Answer, long? LastEventId);

/// <summary>The window's figures (<c>GET /api/metrics/streaming/summary</c>).</summary>
internal sealed record SummaryBody(
    int WindowSeconds, long Requests, long Succeeded, long Failed, long ClientAborted, double SuccessRate, double ErrorRate,
    double? AvgFirstTokenMs, double? P50FirstTokenMs, double? P95FirstTokenMs, double? P99FirstTokenMs, double? AvgTotalMs,
    long ActiveStreams, double TokensPerSecond, long ErrorCount, ToolsBody? Tools);

/// <summary>Tool calls and reasoning since the instance started (the summary's <c>tools</c>).</summary>
internal sealed record ToolsBody(long Calls, long Failed, long ReasoningAnswers, string Since);

/// <summary>One interval of <c>GET /api/metrics/streaming/series</c>.</summary>
internal sealed record SeriesPointBody(DateTimeOffset At, long Requests, long Succeeded, long Failed, long ClientAborted, double? P50FirstTokenMs, double? P95FirstTokenMs, long ActiveStreams, long Tokens);

/// <summary>One live instance (<c>GET /api/metrics/instances</c>).</summary>
internal sealed record InstanceBody(string InstanceId, DateTimeOffset StartedAt, bool Draining, long ActiveStreams, DateTimeOffset LastSeen);

/// <summary>A health report (<c>/api/metrics/health/streaming</c>, <c>/healthz/ready</c>).</summary>
internal sealed record HealthBody(string Status, string InstanceId, double TotalDurationMs, IReadOnlyDictionary<string, JsonElement> Checks);

/// <summary>The AI SDK's <c>useChat</c> request (<c>POST /api/chat/ui</c>): <c>id</c> is the session; the last user message is the question.</summary>
internal sealed record UiMessagesBody(string Id, IReadOnlyList<JsonElement> Messages, string? Trigger = null, string? ChatbotId = null);

/// <summary>AG-UI's <c>RunAgentInput</c> (<c>POST /api/chat/agui</c>): <c>threadId</c> is the session.</summary>
internal sealed record AgUiRunBody(string ThreadId, string RunId, IReadOnlyList<JsonElement> Messages, string? ChatbotId = null);
