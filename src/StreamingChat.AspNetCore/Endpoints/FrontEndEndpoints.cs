using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>
/// API.md's "Front-end protocols": the same answers, admitted the same way (callers and ownership, validation, limits,
/// drain, rollout) and stored and measured the same, in the wire formats of the Vercel AI SDK's <c>useChat</c> and of AG-UI.
/// Each is only another framing over the relay.
/// </summary>
internal static class FrontEndEndpoints
{
    public const string UiPath = "/api/chat/ui";
    public const string UiResumePath = "/api/chat/ui/{sessionId}/stream";
    public const string AgUiPath = "/api/chat/agui";

    /// <summary><c>POST /api/chat/ui</c>: <c>useChat</c>'s body in, the UI message stream out.</summary>
    [Tags(EndpointTags.FrontEnds)]
    [EndpointSummary("The Vercel AI SDK's useChat: the answer as a UI message stream")]
    [AcceptsJson<UiMessagesBody>]
    public static Responses<EventStream<UiMessageStreamFraming>, QuestionRefusals> Ui(IAnswers answers, IOptionsMonitor<ChatStreamOptions> options)
        => new(context => UiAsync(context, answers, options));

    private static async Task UiAsync(HttpContext context, IAnswers answers, IOptionsMonitor<ChatStreamOptions> options)
    {
        // addToolApprovalResponse: the messages come back with the approval answered on the assistant's last message.
        var (found, refused) = await FrontEndApprovals.PeekAsync(context, FrontEndApprovals.FromUiMessages).ConfigureAwait(false);
        if (refused)
        {
            return;
        }

        if (found is { MessageId: { } messageId } answered)
        {
            await ApprovalEndpoints.ContinueThroughAsync(context, messageId, answered.ApprovalId, (_, _) => (answered.Approved, answered.Reason, null), answers, context.RequestServices.GetRequiredService<ResumeTokens>(), () => new UiMessageStreamFraming()).ConfigureAwait(false);
            return;
        }

        if (await QuestionAdmission.AdmitAsync(context, FrontEndQueryReader.UiMessages(options.CurrentValue.DefaultChatbotId)).ConfigureAwait(false) is { Admission: { } admission })
        {
            await StartAndRelayAsync(context, answers, admission, new UiMessageStreamFraming()).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// <c>GET /api/chat/ui/{sessionId}/stream</c>: the session's running answer from its start, as
    /// <c>useChat({ resume: true })</c> asks on load; <c>204</c> when none runs.
    /// </summary>
    [Tags(EndpointTags.FrontEnds)]
    [EndpointSummary("useChat({ resume: true }): the session's running answer from its start")]
    public static Responses<EventStream<UiMessageStreamFraming>, NoneRunning, SessionNotFound> UiResume(string sessionId, SessionAccess access, IAnswers answers)
        => new(context => UiResumeAsync(sessionId, context, access, answers));

    private static async Task UiResumeAsync(string sessionId, HttpContext context, SessionAccess access, IAnswers answers)
    {
        if (await access.OpenExistingAsync(context, ChatCallers.Resolve(context), sessionId, context.RequestAborted).ConfigureAwait(false) is null)
        {
            await ChatProblems.SessionNotFound().ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        if (await answers.GetLatestAsync(sessionId, context.RequestAborted).ConfigureAwait(false) is not { IsRunning: true } running)
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        await AnswerEndpoints.ResumeAsync(context, running, 0, new UiMessageStreamFraming()).ConfigureAwait(false);
    }

    /// <summary><c>POST /api/chat/agui</c>: AG-UI's <c>RunAgentInput</c> in, AG-UI's events out.</summary>
    [Tags(EndpointTags.FrontEnds)]
    [EndpointSummary("AG-UI's HttpAgent: RunAgentInput in, AG-UI events out")]
    [AcceptsJson<AgUiRunBody>]
    public static Responses<EventStream<AgUiFraming>, QuestionRefusals> AgUi(IAnswers answers, IOptionsMonitor<ChatStreamOptions> options)
        => new(context => AgUiAsync(context, answers, options));

    private static async Task AgUiAsync(HttpContext context, IAnswers answers, IOptionsMonitor<ChatStreamOptions> options)
    {
        // The body read once for what else a run may be than a question: a resume that answers the approval it names, or a
        // run on a known thread with no new user message.
        var (found, refused) = await FrontEndApprovals.PeekAsync<object>(context, root => (object?)FrontEndApprovals.FromRunAgentInput(root) ?? AgUiSnapshot.Find(root)).ConfigureAwait(false);
        if (refused)
        {
            return;
        }

        if (found is FrontEndApprovals.Answered { SessionId: { } threadId, RunId: { } runId } answered)
        {
            var paused = await FrontEndApprovals.PausedAnswerAsync(context, threadId, answered.ApprovalId, answers).ConfigureAwait(false);
            if (paused is null)
            {
                await ChatProblems.ApprovalNotFound().ExecuteAsync(context).ConfigureAwait(false);
                return;
            }

            await ApprovalEndpoints.ContinueThroughAsync(context, paused, answered.ApprovalId, (_, _) => (answered.Approved, answered.Reason, null), answers, context.RequestServices.GetRequiredService<ResumeTokens>(), () => new AgUiFraming(threadId, runId)).ConfigureAwait(false);
            return;
        }

        // A run on a known thread with no new user message: what the thread holds, without asking the model.
        if (found is AgUiSnapshot.Run snapshot)
        {
            await AgUiSnapshot.WriteAsync(context, snapshot.ThreadId, snapshot.RunId).ConfigureAwait(false);
            return;
        }

        if (await QuestionAdmission.AdmitAsync(context, FrontEndQueryReader.RunAgentInput(options.CurrentValue.DefaultChatbotId)).ConfigureAwait(false) is { Admission: { } admission } admitted)
        {
            await StartAndRelayAsync(context, answers, admission, new AgUiFraming(admission.Question.SessionId, admitted.RunId!)).ConfigureAwait(false);
        }
    }

    private static async Task StartAndRelayAsync(HttpContext context, IAnswers answers, AnswerAdmission admission, AnswerFraming framing)
    {
        var answer = await answers.StartAsync(admission).ConfigureAwait(false);
        context.Response.Headers["X-Streaming"] = answer.Streaming ? "on" : "off";
        await AnswerRelay.RelayAsync(context, framing, answer.MessageId, 0).ConfigureAwait(false);
    }
}
