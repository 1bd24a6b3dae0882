using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>
/// Delivers an answer: reads its log from a position and writes it through a framing until the terminal event, the
/// caller leaving, or the instance stopping. The one place that flushes, sends heartbeats and notices a caller gone, for
/// every framing and for new and resumed streams alike.
/// </summary>
internal static class AnswerRelay
{
    /// <summary>
    /// Relays answer <paramref name="messageId"/> from event <paramref name="fromId"/>. The relay is one of the answer's
    /// readers, so the answer runs on for as long as someone reads.
    /// </summary>
    public static async Task RelayAsync(HttpContext context, AnswerFraming framing, string messageId, long fromId)
    {
        var services = context.RequestServices;
        var log = services.GetRequiredService<IAnswers>();
        var options = services.GetRequiredService<IOptionsMonitor<EventStreamOptions>>().CurrentValue;
        var cancellationToken = context.RequestAborted;
        framing.ApplyHeaders(context.Response);

        // Nothing between us and the socket may hold events back (response buffering or compression middleware).
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        using var reader = log.AttachReader(messageId);
        var output = new AnswerOutput(context.Response.BodyWriter, framing, TimeSpan.FromSeconds(options.HeartbeatSeconds), services.GetRequiredService<TimeProvider>());
        await using (output.ConfigureAwait(false))
        {
            var events = new List<AnswerEvent>();
            try
            {
                // The events there are now go out in one write; then the relay waits for the next, so none waits in a buffer.
                while (await log.ReadAsync(messageId, fromId, events, cancellationToken).ConfigureAwait(false) == AnswerRead.Events)
                {
                    if (!await output.WriteAsync(events, fromId, cancellationToken).ConfigureAwait(false) || events[^1].IsTerminal)
                    {
                        return;
                    }

                    fromId += events.Count;
                    events.Clear();
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The caller left; the answer runs on for whoever comes back within the grace time.
            }
        }
    }

    /// <summary>
    /// Relays an ended answer that is no longer in the log from its stored turn: <c>start</c>, one <c>token</c> with the whole
    /// text, and <c>done</c> (<c>error</c> with its code for a failed or interrupted one), numbered 0 to 2.
    /// </summary>
    public static async Task ReplayAsync(HttpContext context, AnswerFraming framing, ConversationMessage turn, long fromId)
    {
        var replay = Replay(turn);
        await WriteEndedAsync(context, framing, replay[(int)Math.Min(fromId, replay.Count)..], fromId).ConfigureAwait(false);
    }

    /// <summary>
    /// A stored answer as events: <c>start</c>, its parts in order (text as one <c>token</c> per run, reasoning, each tool
    /// call with its result or the approval it waits for, sources), or its whole text as one <c>token</c> when it was text
    /// only, then its terminal event.
    /// </summary>
    public static List<AnswerEvent> Replay(ConversationMessage turn)
    {
        var replay = new List<AnswerEvent> { AnswerEvent.ForStart(new AnswerStart(turn.MessageId, turn.SessionId, turn.ChatbotId, turn.Model ?? "", Streaming: true)) };
        if (turn.Parts.Count == 0)
        {
            replay.Add(AnswerEvent.ForToken(turn.Content));
        }

        var waits = false;
        foreach (var part in turn.Parts)
        {
            switch (part.Type)
            {
                case ConversationPart.TextType when part.Text is { Length: > 0 } text:
                    replay.Add(AnswerEvent.ForToken(text));
                    break;
                case ConversationPart.ReasoningType when part.Text is { Length: > 0 } text:
                    replay.Add(AnswerEvent.ForReasoning(text));
                    break;
                case ConversationPart.SourceType when part.Url is { } url:
                    replay.Add(AnswerEvent.ForSource(new AnswerSource(part.SourceId ?? url, url, part.Title)));
                    break;
                case ConversationPart.ToolType when part.ToolCallId is { } callId:
                    var name = part.ToolName ?? "unknown";
                    var input = part.Input ?? ChatJson.EmptyObject;
                    if (part.ApprovalId is { } approvalId && part.State == "approval-requested")
                    {
                        waits = true;
                        replay.Add(AnswerEvent.ForApprovalRequest(new AnswerApprovalRequest(approvalId, callId, name, input)));
                        break;
                    }

                    replay.Add(AnswerEvent.ForToolCall(new AnswerToolCall(callId, name, input)));
                    if (part.State is "output-available" or "output-error")
                    {
                        replay.Add(AnswerEvent.ForToolResult(new AnswerToolResult(callId, name, part.Output, part.Error)));
                    }

                    break;
            }
        }

        replay.Add(turn.Status switch
        {
            MessageStatus.Complete => AnswerEvent.ForDone(new AnswerDone(waits ? "approval_required" : "stop", turn.Usage, turn.FirstTokenMs, turn.TotalMs ?? 0)),
            MessageStatus.Stopped => AnswerEvent.ForDone(new AnswerDone("stopped", turn.Usage, turn.FirstTokenMs, turn.TotalMs ?? 0)),
            _ => AnswerEvent.ForError(new AnswerError(turn.ErrorCode ?? ChatErrorCodes.AnswerLost, "The answer was not finished; ask again.", Retryable: true)),
        });
        return replay;
    }

    /// <summary>Writes the last events of an ended answer, numbered from <paramref name="firstId"/>, and nothing after them.</summary>
    public static async Task WriteEndedAsync(HttpContext context, AnswerFraming framing, IReadOnlyList<AnswerEvent> events, long firstId)
    {
        framing.ApplyHeaders(context.Response);
        var output = new AnswerOutput(context.Response.BodyWriter, framing, TimeSpan.Zero, TimeProvider.System);
        await using (output.ConfigureAwait(false))
        {
            await output.WriteAsync(events, firstId, context.RequestAborted).ConfigureAwait(false);
        }
    }
}
