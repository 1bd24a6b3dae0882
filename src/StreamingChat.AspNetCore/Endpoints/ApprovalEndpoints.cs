using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>
/// API.md's "Rich answers": an answer paused for a person's approval is answered once, service-wide, and continued by a
/// new answer in the same session, streamed like a question's.
/// </summary>
internal static class ApprovalEndpoints
{
    public const string ApprovePath = "/api/chat/answers/{messageId}/approvals/{approvalId}";

    private const int MaxReasonLength = 1000;

    /// <summary>
    /// <c>POST /api/chat/answers/{messageId}/approvals/{approvalId}</c> with <c>{"approved","reason"}</c>: decides the
    /// approval (the first answer wins: <c>409 approval_answered</c> for the rest), then streams the continuation.
    /// </summary>
    [Tags(EndpointTags.Answers)]
    [EndpointSummary("Answer an approval a paused answer waits for; the continuation streams as Server-Sent Events")]
    [AcceptsJson<ApprovalBody>]
    public static Responses<EventStream<SseFraming>, ApprovalRefusals> Approve(string messageId, string approvalId, IAnswers answers, ResumeTokens tokens, IOptionsMonitor<EventStreamOptions> options)
    {
        var retryMs = options.CurrentValue.RetryMilliseconds;
        return new(context => ContinueThroughAsync(context, messageId, approvalId, (body, _) => ReadApproval(body), answers, tokens, () => new SseFraming(retryMs)));
    }

    /// <summary>
    /// Finds the approval <paramref name="approvalId"/> in the caller's answer <paramref name="messageId"/>, admits its
    /// continuation like a question (limits, drain, one answer at a time per session), decides it once, and relays the
    /// continuation through <paramref name="framing"/>. <paramref name="read"/> reads the person's answer from the body.
    /// </summary>
    public static async Task ContinueThroughAsync(HttpContext context, string messageId, string approvalId, Func<JsonElement, int, (bool Approved, string? Reason, IResult? Problem)> read, IAnswers answers, ResumeTokens tokens, Func<AnswerFraming> framing)
    {
        var pending = await FindAsync(context, messageId, approvalId, answers).ConfigureAwait(false);
        if (pending is null)
        {
            await ChatProblems.ApprovalNotFound().ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        var (sessionId, chatbotId, request) = pending.Value;
        var admitted = await QuestionAdmission.AdmitAsync(context, (body, max) =>
        {
            var (approved, reason, problem) = read(body, max);
            return problem is not null
                ? new ChatQueryReadResult(null, problem)
                : new ChatQueryReadResult(new ChatQuery("", chatbotId, sessionId) { Approval = new ToolApproval(request.ApprovalId, request.ToolCallId, request.ToolName, request.Input, approved, reason) { PausedMessageId = messageId } }, null);
        }).ConfigureAwait(false);
        if (admitted?.Admission is not { } admission)
        {
            return;
        }

        var approval = admission.Question.Approval!;
        var (won, decision) = await context.RequestServices.GetRequiredService<IToolApprovals>()
            .DecideAsync(approvalId, new ApprovalDecision(approval.Approved, approval.Reason), context.RequestAborted).ConfigureAwait(false);
        if (!won)
        {
            await admission.DisposeAsync().ConfigureAwait(false);
            await ChatProblems.ApprovalAnswered(decision).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        var answer = await answers.StartAsync(admission).ConfigureAwait(false);
        context.Response.Headers["X-Streaming"] = answer.Streaming ? "on" : "off";
        if (tokens.Issue(answer.MessageId) is { } token)
        {
            context.Response.Headers.Location = AnswerEndpoints.ResumeUrl(answer.MessageId, token);
        }

        await AnswerRelay.RelayAsync(context, framing(), answer.MessageId, 0).ConfigureAwait(false);
    }

    /// <summary>Our body: <c>approved</c> (required, true or false) and <c>reason</c> (optional, at most 1000 characters).</summary>
    public static (bool Approved, string? Reason, IResult? Problem) ReadApproval(JsonElement body)
    {
        if (!body.TryGetProperty("approved", out var approved) || approved.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            return (false, null, JsonBody.Invalid("approved", "approved is required: true or false."));
        }

        string? reason = null;
        if (body.TryGetProperty("reason", out var given) && given.ValueKind != JsonValueKind.Null)
        {
            if (given.ValueKind != JsonValueKind.String || given.GetString()!.Length > MaxReasonLength)
            {
                return (false, null, JsonBody.Invalid("reason", $"reason must be a string of at most {MaxReasonLength} characters."));
            }

            reason = given.GetString();
        }

        return (approved.GetBoolean(), reason, null);
    }

    /// <summary>
    /// The approval request <paramref name="approvalId"/> of the caller's answer <paramref name="messageId"/>, from its log
    /// while that is kept, else from its stored turn; null when there is none, or the answer is someone else's.
    /// </summary>
    public static async Task<(string SessionId, string ChatbotId, AnswerApprovalRequest Request)?> FindAsync(HttpContext context, string messageId, string approvalId, IAnswers answers)
    {
        var access = context.RequestServices.GetRequiredService<SessionAccess>();
        var caller = ChatCallers.Resolve(context);
        if (await answers.GetAsync(messageId, context.RequestAborted).ConfigureAwait(false) is { } answer)
        {
            if (!access.Owns(context, caller, answer.Info.SessionId, answer.Info.Owner))
            {
                return null;
            }

            // The request is logged before the answer ends; an answer still running ends right after it.
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            wait.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                await foreach (var streamEvent in answers.ReadEventsAsync(messageId, 0, wait.Token).ConfigureAwait(false))
                {
                    if (streamEvent.Kind == AnswerEventKind.ApprovalRequest && streamEvent.ApprovalRequest!.ApprovalId == approvalId)
                    {
                        return (answer.Info.SessionId, answer.Info.ChatbotId, streamEvent.ApprovalRequest);
                    }
                }
            }
            catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
            {
                // Not found in time: the stored turn may still have it.
            }
        }

        ConversationMessage? turn;
        try
        {
            turn = await context.RequestServices.GetRequiredService<IConversationStore>().GetMessageAsync(messageId, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            return null;
        }

        if (turn is not { Role: ConversationRole.Assistant } || !access.Owns(context, caller, turn.SessionId, turn.Owner))
        {
            return null;
        }

        foreach (var part in turn.Parts)
        {
            if (part.ApprovalId == approvalId && part.ToolCallId is { } callId && part.ToolName is { } name)
            {
                return (turn.SessionId, turn.ChatbotId, new AnswerApprovalRequest(approvalId, callId, name, part.Input ?? ChatJson.EmptyObject));
            }
        }

        return null;
    }
}
