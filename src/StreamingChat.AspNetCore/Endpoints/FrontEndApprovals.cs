using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>
/// An approval answered the way each front-end library answers one: the AI SDK's <c>addToolApprovalResponse</c> posts the
/// messages back with the assistant's last message carrying <c>approval: {id, approved, reason}</c> on its tool part;
/// AG-UI's next run carries <c>resume: [{interruptId, status, payload}]</c>. Either is then the same decide-once and
/// continuation as <c>POST /api/chat/answers/{messageId}/approvals/{approvalId}</c>.
/// </summary>
internal static class FrontEndApprovals
{
    /// <summary>An approval answered in a front end's body.</summary>
    /// <param name="MessageId">The paused answer, when the body names it (the AI SDK's assistant message id).</param>
    /// <param name="ApprovalId">The approval.</param>
    /// <param name="Approved">The person's answer.</param>
    /// <param name="Reason">Why, when given.</param>
    /// <param name="SessionId">The session (AG-UI's <c>threadId</c>), when the body names it.</param>
    /// <param name="RunId">AG-UI's <c>runId</c>.</param>
    public sealed record Answered(string? MessageId, string ApprovalId, bool Approved, string? Reason, string? SessionId = null, string? RunId = null);

    /// <summary>
    /// Reads the body without using it up (the question's admission reads it again): what <paramref name="find"/> finds in
    /// it (the approval it answers, say), or null for a body where it finds nothing (an ordinary question, or a malformed
    /// one, which the admission then refuses); <c>Refused</c> when the body was too large and that was answered.
    /// </summary>
    public static async Task<(T? Found, bool Refused)> PeekAsync<T>(HttpContext context, Func<JsonElement, T?> find)
        where T : class
    {
        var request = context.Request;
        if (request.ContentLength is > ChatQueryReader.MaxBodyBytes || request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) != true)
        {
            return (null, false);
        }

        // Read once, bounded, into memory; the body is then this copy, which the admission reads again. A body past the
        // limit (chunked, with no length) is refused here as the admission would refuse it.
        byte[] copy;
        try
        {
            var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > ChatQueryReader.MaxBodyBytes)
                {
                    await ChatProblems.PayloadTooLarge(ChatQueryReader.MaxBodyBytes).ExecuteAsync(context).ConfigureAwait(false);
                    return (null, true);
                }

                buffer.Write(chunk, 0, read);
            }

            copy = buffer.ToArray();
        }
        catch (BadHttpRequestException ex)
        {
            await JsonBody.BodyRefused(ex).ExecuteAsync(context).ConfigureAwait(false);
            return (null, true);
        }
        catch (IOException)
        {
            return (null, true); // the connection broke while the body came: there is no one to answer
        }

        request.Body = new MemoryStream(copy, writable: false);
        try
        {
            using var document = JsonDocument.Parse(copy);
            return (document.RootElement.ValueKind == JsonValueKind.Object ? find(document.RootElement) : null, false);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Malformed, or a string that is not Unicode (a lone surrogate): the question's own reading refuses it with the
            // right problem.
            return (null, false);
        }
    }

    /// <summary>The AI SDK: the last message is the assistant's, with a tool part whose <c>approval</c> has an <c>approved</c> answer.</summary>
    public static Answered? FromUiMessages(JsonElement root)
    {
        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            return null;
        }

        var last = messages[messages.GetArrayLength() - 1];
        if (last.ValueKind != JsonValueKind.Object || !last.TryGetProperty("role", out var role) || !role.ValueEquals("assistant"u8)
            || !last.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String
            || !last.TryGetProperty("parts", out var parts) || parts.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        foreach (var part in parts.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("state", out var state) && state.ValueEquals("approval-responded"u8)
                && part.TryGetProperty("approval", out var approval) && approval.ValueKind == JsonValueKind.Object
                && approval.TryGetProperty("id", out var approvalId) && approvalId.ValueKind == JsonValueKind.String
                && approval.TryGetProperty("approved", out var approved) && approved.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                var reason = approval.TryGetProperty("reason", out var given) && given.ValueKind == JsonValueKind.String ? given.GetString() : null;
                return new Answered(id.GetString(), approvalId.GetString()!, approved.GetBoolean(), reason);
            }
        }

        return null;
    }

    /// <summary>AG-UI: <c>resume</c>'s first entry; <c>resolved</c> approves unless its payload says <c>approved: false</c>, <c>cancelled</c> denies.</summary>
    public static Answered? FromRunAgentInput(JsonElement root)
    {
        if (!root.TryGetProperty("resume", out var resume) || resume.ValueKind != JsonValueKind.Array || resume.GetArrayLength() == 0
            || !root.TryGetProperty("threadId", out var threadId) || threadId.ValueKind != JsonValueKind.String
            || !root.TryGetProperty("runId", out var runId) || runId.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var entry = resume[0];
        if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("interruptId", out var interruptId) || interruptId.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var approved = entry.TryGetProperty("status", out var status) && status.ValueEquals("resolved"u8);
        string? reason = null;
        if (entry.TryGetProperty("payload", out var payload) && payload.ValueKind == JsonValueKind.Object)
        {
            if (payload.TryGetProperty("approved", out var given) && given.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                approved = approved && given.GetBoolean();
            }

            reason = payload.TryGetProperty("reason", out var why) && why.ValueKind == JsonValueKind.String ? why.GetString() : null;
        }

        return new Answered(null, interruptId.GetString()!, approved, reason, threadId.GetString(), runId.GetString());
    }

    /// <summary>
    /// The paused answer of a session that waits for <paramref name="approvalId"/>: its latest answer (AG-UI names the
    /// thread, not the answer); null when the caller may not see the session or it has none.
    /// </summary>
    public static async Task<string?> PausedAnswerAsync(HttpContext context, string sessionId, string approvalId, IAnswers answers)
    {
        if (await answers.GetLatestAsync(sessionId, context.RequestAborted).ConfigureAwait(false) is { } latest)
        {
            return latest.Info.MessageId;
        }

        var session = await context.RequestServices.GetRequiredService<SessionAccess>()
            .OpenExistingAsync(context, ChatCallers.Resolve(context), sessionId, context.RequestAborted).ConfigureAwait(false);
        if (session is null)
        {
            return null;
        }

        var turns = await context.RequestServices.GetRequiredService<IConversationStore>()
            .GetRecentAsync(sessionId, session.Owner, 20, cancellationToken: context.RequestAborted).ConfigureAwait(false);
        return turns.LastOrDefault(turn => turn.Parts.Any(part => part.ApprovalId == approvalId))?.MessageId;
    }
}
