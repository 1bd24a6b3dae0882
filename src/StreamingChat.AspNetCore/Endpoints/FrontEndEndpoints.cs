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
    public static async Task UiAsync(HttpContext context, IOptionsMonitor<ChatStreamOptions> options)
    {
        var admitted = await ChatEndpoints.AdmitAsync(context, FrontEndQueryReader.UiMessages(options.CurrentValue.DefaultChatbotId)).ConfigureAwait(false);
        if (admitted is not null)
        {
            await StartAndRelayAsync(context, admitted, new UiMessageStreamFraming()).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// <c>GET /api/chat/ui/{sessionId}/stream</c>: the session's running answer from its start, as
    /// <c>useChat({ resume: true })</c> asks on load; <c>204</c> when none runs.
    /// </summary>
    public static async Task UiResumeAsync(string sessionId, HttpContext context, SessionAccess access, ChatPipeline pipeline)
    {
        if (await access.OpenExistingAsync(context, ChatCallers.Resolve(context), sessionId, context.RequestAborted).ConfigureAwait(false) is null)
        {
            await ChatProblems.SessionNotFound().ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        if (await pipeline.Answers.GetLatestAsync(sessionId, context.RequestAborted).ConfigureAwait(false) is not { IsRunning: true } running)
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        await AnswerEndpoints.ResumeAsync(context, running, 0, new UiMessageStreamFraming()).ConfigureAwait(false);
    }

    /// <summary><c>POST /api/chat/agui</c>: AG-UI's <c>RunAgentInput</c> in, AG-UI's events out.</summary>
    public static async Task AgUiAsync(HttpContext context, IOptionsMonitor<ChatStreamOptions> options)
    {
        var admitted = await ChatEndpoints.AdmitAsync(context, FrontEndQueryReader.RunAgentInput(options.CurrentValue.DefaultChatbotId)).ConfigureAwait(false);
        if (admitted is not null)
        {
            await StartAndRelayAsync(context, admitted, new AgUiFraming(admitted.Prepared!.Query.SessionId, admitted.RunId!)).ConfigureAwait(false);
        }
    }

    private static async Task StartAndRelayAsync(HttpContext context, ChatEndpoints.Admitted admitted, IAnswerFraming framing)
    {
        var services = context.RequestServices;
        var prepared = admitted.Prepared!;
        var streaming = await services.GetRequiredService<IStreamingModeDecider>().IsStreamingEnabledAsync(prepared.Query, context.RequestAborted).ConfigureAwait(false);
        var answer = await admitted.StartAsync(services, streaming).ConfigureAwait(false);
        context.Response.Headers["X-Streaming"] = streaming ? "on" : "off";
        await AnswerRelay.RelayAsync(context, framing, answer.MessageId, 0, answer).ConfigureAwait(false);
    }
}
