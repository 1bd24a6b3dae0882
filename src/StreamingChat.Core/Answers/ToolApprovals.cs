using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using StackExchange.Redis;

namespace StreamingChat.Core;

/// <summary>
/// A person's answer to an approval request, and what it answers: the continuation of a paused answer carries it in
/// <see cref="ChatQuery.Approval"/>, and the model's function invocation runs the tool (or tells the model it was denied).
/// </summary>
/// <param name="ApprovalId">The approval answered.</param>
/// <param name="ToolCallId">The call it was for.</param>
/// <param name="ToolName">The tool it would run.</param>
/// <param name="Input">The arguments it runs with.</param>
/// <param name="Approved">Whether the call may run.</param>
/// <param name="Reason">Why, in the person's words; null when none was given.</param>
public sealed record ToolApproval(string ApprovalId, string ToolCallId, string ToolName, JsonElement Input, bool Approved, string? Reason = null)
{
    /// <summary>The answer that paused for this approval; its continuation names it in <see cref="AnswerStart.Continues"/>.</summary>
    public string? PausedMessageId { get; init; }
}

/// <summary>How an approval was decided, by whoever was first.</summary>
/// <param name="Approved">Whether the call may run.</param>
/// <param name="Reason">Why, when given.</param>
public sealed record ApprovalDecision(bool Approved, string? Reason);

/// <summary>
/// Decides each approval once, service-wide: the first answer wins, from any tab or instance, and every later one learns
/// the first decision. In this instance's memory, or in Redis (one <c>SET NX</c>) with <c>AddRedis()</c>, so a paused
/// answer whose instance died is still approved once.
/// </summary>
public interface IToolApprovals
{
    /// <summary>
    /// Records <paramref name="decision"/> for <paramref name="approvalId"/> unless one is recorded; returns the decision
    /// that stands and whether it is this one.
    /// </summary>
    Task<(bool Won, ApprovalDecision Decision)> DecideAsync(string approvalId, ApprovalDecision decision, CancellationToken cancellationToken = default);

    /// <summary>The decision recorded for <paramref name="approvalId"/>; null while it waits.</summary>
    Task<ApprovalDecision?> GetAsync(string approvalId, CancellationToken cancellationToken = default);
}

/// <summary>Approvals decided in this instance's memory: one instance, or tests.</summary>
internal sealed class InMemoryToolApprovals : IToolApprovals
{
    private readonly ConcurrentDictionary<string, ApprovalDecision> _decisions = new(StringComparer.Ordinal);

    public Task<(bool Won, ApprovalDecision Decision)> DecideAsync(string approvalId, ApprovalDecision decision, CancellationToken cancellationToken = default)
    {
        var standing = _decisions.GetOrAdd(approvalId, decision);
        return Task.FromResult((ReferenceEquals(standing, decision), standing));
    }

    public Task<ApprovalDecision?> GetAsync(string approvalId, CancellationToken cancellationToken = default)
        => Task.FromResult(_decisions.GetValueOrDefault(approvalId));
}

/// <summary>
/// Approvals decided in Redis: <c>{prefix}approval:{id}</c> set once (<c>SET NX</c>) with the decision, kept a day, so
/// whichever instance answers first decides, and the tool runs at most once.
/// </summary>
internal sealed class RedisToolApprovals(StreamingChatRedis redis) : IToolApprovals
{
    private static readonly TimeSpan Kept = TimeSpan.FromDays(1);

    public async Task<(bool Won, ApprovalDecision Decision)> DecideAsync(string approvalId, ApprovalDecision decision, CancellationToken cancellationToken = default)
    {
        var key = redis.Key("approval:" + approvalId);
        var value = JsonSerializer.SerializeToUtf8Bytes(decision, ToolApprovalJson.Default.ApprovalDecision);
        if (await redis.Database.StringSetAsync(key, value, Kept, When.NotExists).ConfigureAwait(false))
        {
            return (true, decision);
        }

        return (false, await GetAsync(approvalId, cancellationToken).ConfigureAwait(false) ?? decision);
    }

    public async Task<ApprovalDecision?> GetAsync(string approvalId, CancellationToken cancellationToken = default)
    {
        var value = await redis.Database.StringGetAsync(redis.Key("approval:" + approvalId)).ConfigureAwait(false);
        return value.IsNull ? null : JsonSerializer.Deserialize((byte[])value!, ToolApprovalJson.Default.ApprovalDecision);
    }
}

/// <summary>Source-generated JSON for approval decisions kept in Redis.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ApprovalDecision))]
internal sealed partial class ToolApprovalJson : JsonSerializerContext;
