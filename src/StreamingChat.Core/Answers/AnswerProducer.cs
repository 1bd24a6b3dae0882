using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace StreamingChat.Core;

/// <summary>
/// Produces one answer into its log, detached from any request: the model's tokens (with the spoken sentences beside
/// them), then the stored turns, the metrics, and exactly one terminal event, whatever ended it; it owns the question's
/// <see cref="AnswerAdmission"/> and lets go of what it holds as the answer ends. Made and started by
/// <see cref="AnswerService.StartAsync"/>; never throws.
/// </summary>
internal sealed partial class AnswerProducer
{
    private readonly AnswerProduction _production;
    private readonly PreparedAnswer _chat;
    private readonly RunningAnswer _answer;
    private readonly AnswerAdmission _admission;
    private readonly bool _streaming;
    private readonly StringBuilder _text = new();
    private readonly Task _questionStored;
    private ModelStream? _model;
    private long _nextId;

    private readonly AnswerFacts _facts = new();
    private readonly AnswerPartsBuilder _parts = new();
    private readonly RichContentReader _rich;

    public AnswerProducer(AnswerProduction production, PreparedAnswer chat, RunningAnswer answer, AnswerAdmission admission)
    {
        _production = production;
        _chat = chat;
        _answer = answer;
        _admission = admission;
        _streaming = answer.Info.Streaming;
        _rich = new RichContentReader(chat.Options.Tools, chat.Query.Approval);

        // The question is stored while the model thinks, so storing it adds nothing to first-token latency.
        // A continuation (an approval answered) has no question of its own to store.
        _questionStored = chat.Query.Approval is null ? _production.PersistAsync(AnswerTurns.Question(answer.Info)) : Task.CompletedTask;
    }

    /// <summary>Logs the <c>start</c> event (id 0), so the first reader finds it at once.</summary>
    public ValueTask BeginAsync()
    {
        var query = _chat.Query;
        return AppendAsync(AnswerEvent.ForStart(new AnswerStart(_chat.MessageId, query.SessionId, query.ChatbotId, _chat.Model, _streaming, query.SessionKey) { Continues = query.Approval?.PausedMessageId }));
    }

    /// <summary>Runs the answer to its end.</summary>
    public async Task RunAsync()
    {
        using var activity = StreamingChatMetrics.ActivitySource.StartActivity("chat.stream", ActivityKind.Internal);
        activity?.SetTag(StreamingChatTelemetry.Tags.ChatbotId, _chat.Query.ChatbotId);
        activity?.SetTag(StreamingChatTelemetry.Tags.RequestModel, _chat.Model);
        activity?.SetTag(StreamingChatTelemetry.Tags.Streaming, _streaming);
        AnswerEnding? ending = null;
        try
        {
            await StreamModelAsync().ConfigureAwait(false);
            ending = await FinishAsync(activity).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The producer's own failure (the log refused an event): the answer still ends, once, and is stored.
            Log.AnswerProducerFailed(_production.Logger, _chat.Query.ChatbotId, ex);
            _facts.Error ??= new AnswerError(ChatErrorCodes.InternalError, "The answer could not be completed.", Retryable: true);
            _facts.Completed = false;
            ending = await EndAfterFailureAsync().ConfigureAwait(false);
        }
        finally
        {
            if (_model is not null)
            {
                await _model.DisposeAsync().ConfigureAwait(false);
            }

            _production.Running.Remove(_answer);
            _answer.Complete(ending ?? new AnswerEnding(_chat.MessageId, MessageStatus.Failed, _text.ToString(), _nextId - 1, _facts.Tokens));

            // What the answer held until its end (the drain's count): the terminal event is logged now.
            await ReleaseAsync(_admission.DisposeAsync()).ConfigureAwait(false);
        }
    }

    /// <summary>Reads the model's tokens into the log until it finishes, fails, or the answer is cancelled.</summary>
    private async Task StreamModelAsync()
    {
        // Over 60 lines: the producer's one loop (tokens, audio between them, the terminal event, cancellation): every way out must leave exactly one terminal event, so they stay together.
        _model = new ModelStream(_production.ChatClient, _production.Speech, _chat, _streaming, _answer.Cancellation);
        var speech = _model.Speech;
        while (true)
        {
            // Audio that is ready goes out between tokens, in sentence order; a slow synthesizer never holds a token back.
            while (_streaming && speech is not null && speech.TryTakeReady(out var spoken))
            {
                await AppendAsync(AnswerEvent.ForAudio(spoken)).ConfigureAwait(false);
            }

            bool? more;
            try
            {
                more = await _model.NextAsync().ConfigureAwait(false);
            }
            catch (Exception) when (_answer.Cancellation.IsCancellationRequested)
            {
                return; // stopped, drained or left alone: the reason decides how it ends
            }
            catch (AnswerErrorException ex)
            {
                _facts.Error = ex.Error;
                return;
            }
            catch (Exception ex)
            {
                // Below the classifying middleware nothing escapes unclassified; this is the pipeline's own failure.
                _facts.Error = ChatErrors.FromException(ex);
                Log.UpstreamFailed(_production.Logger, _facts.Error.Code, _facts.Error.Message, ex);
                return;
            }

            if (more is null)
            {
                continue; // a sentence's audio is ready before the next token
            }

            if (more == false)
            {
                _facts.Completed = true;
                return;
            }

            var update = _model.Current;
            _facts.Observe(update);
            foreach (var content in update.Contents)
            {
                if (content is TextContent text)
                {
                    await TokenAsync(text.Text).ConfigureAwait(false);
                    await SourcesAsync(text).ConfigureAwait(false);
                }
                else if (_rich.Read(content) is { } rich)
                {
                    await RichAsync(rich).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Stores the answer, then logs the last audio, the metrics and the terminal event, in that order.</summary>
    private async Task<AnswerEnding> FinishAsync(Activity? activity)
    {
        var (status, terminal, outcome) = Decide();
        var totalMs = ElapsedMs();
        if (terminal.Kind == AnswerEventKind.Done)
        {
            terminal = AnswerEvent.ForDone(terminal.Done! with { TotalMs = totalMs });
        }

        if (!_streaming && _text.Length > 0)
        {
            // The parts have the text already, in its place among the tool calls.
            await _production.Log.AppendAsync(_chat.MessageId, AnswerEvent.ForToken(_text.ToString())).ConfigureAwait(false);
            _nextId++;
        }

        // Stored before the terminal event, so a follow-up question sent on `done` sees this answer in its history.
        await PersistAnswerAsync(status, totalMs).ConfigureAwait(false);
        if (_facts.Completed && _model?.Speech is { } speech)
        {
            // The rest of the answer is spoken; every sentence's audio goes out before done.
            speech.Complete();
            await foreach (var spoken in speech.DrainAsync().ConfigureAwait(false))
            {
                await AppendAsync(AnswerEvent.ForAudio(spoken)).ConfigureAwait(false);
            }
        }

        Record(activity, outcome);
        return await EndAsync(terminal, status).ConfigureAwait(false);
    }

    /// <summary>How the answer ended: its stored status, its terminal event and its outcome for the metrics.</summary>
    private (MessageStatus Status, AnswerEvent Terminal, StreamOutcome Outcome) Decide()
    {
        if (_facts.Completed)
        {
            var finishReason = _facts.ApprovalRequested ? "approval_required" : _facts.FinishReason ?? "stop";
            return (MessageStatus.Complete, Done(finishReason), StreamOutcome.Succeeded);
        }

        if (_facts.Error is { } error)
        {
            Log.AnswerFailed(_production.Logger, error.Code, _chat.Query.ChatbotId, _chat.Model);
            return (MessageStatus.Failed, AnswerEvent.ForError(error), StreamOutcome.Failed);
        }

        switch (_answer.StopReason)
        {
            case AnswerStopReason.Stopped:
                return (MessageStatus.Stopped, Done("stopped"), StreamOutcome.ClientAborted);
            case AnswerStopReason.Draining:
                _facts.Error = AnswerErrors.Draining;
                Log.AnswerFailed(_production.Logger, _facts.Error.Code, _chat.Query.ChatbotId, _chat.Model);
                return (MessageStatus.Interrupted, AnswerEvent.ForError(_facts.Error), StreamOutcome.Failed);
            default:
                Log.AnswerInterrupted(_production.Logger, _chat.Query.ChatbotId, _text.Length);
                return (MessageStatus.Interrupted, AnswerEvent.ForError(AnswerErrors.NoReader), StreamOutcome.ClientAborted);
        }
    }

    private AnswerEvent Done(string finishReason)
        => AnswerEvent.ForDone(new AnswerDone(finishReason, _facts.Usage, _facts.FirstTokenMs, 0));

    private void Record(Activity? activity, StreamOutcome outcome)
    {
        var query = _chat.Query;
        _production.Metrics.StreamFinished(query.ChatbotId, _chat.Model, _streaming, outcome, _facts.Error?.Code, _facts.FirstToken, _production.Time.GetElapsedTime(_chat.StartedTimestamp), _facts.Tokens);
        activity?.SetTag(StreamingChatTelemetry.Tags.Outcome, StreamingChatMetrics.OutcomeName(outcome));
        if (_facts.Error is { } error)
        {
            activity?.SetTag(StreamingChatTelemetry.Tags.ErrorType, error.Code);
            activity?.SetStatus(ActivityStatusCode.Error, error.Code);
        }
    }

    /// <summary>
    /// Lets go of what the answer held while it ran (places in limits, a slot; a budget charged with the tokens used), then
    /// logs the terminal event: whoever acts on that event finds them free.
    /// </summary>
    private async Task<AnswerEnding> EndAsync(AnswerEvent terminal, MessageStatus status)
    {
        var ending = new AnswerEnding(_chat.MessageId, status, _text.ToString(), _nextId, _facts.Usage?.OutputTokens ?? _facts.Tokens);
        await ReleaseAsync(_admission.EndingAsync(ending)).ConfigureAwait(false);
        await _production.Log.EndAsync(_chat.MessageId, terminal, status).ConfigureAwait(false);
        return ending;
    }

    /// <summary>Lets go of held resources; a failure to is logged, never the answer's.</summary>
    private async Task ReleaseAsync(ValueTask release)
    {
        try
        {
            await release.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.AnswerProducerFailed(_production.Logger, _chat.Query.ChatbotId, ex);
        }
    }

    /// <summary>After the producer's own failure: stores what was said as failed and ends the log if it still can.</summary>
    private async Task<AnswerEnding?> EndAfterFailureAsync()
    {
        try
        {
            await PersistAnswerAsync(MessageStatus.Failed, ElapsedMs()).ConfigureAwait(false);
            Record(null, StreamOutcome.Failed);
            return await EndAsync(AnswerEvent.ForError(_facts.Error!), MessageStatus.Failed).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.AnswerProducerFailed(_production.Logger, _chat.Query.ChatbotId, ex);
            return null;
        }
    }

    private async Task PersistAnswerAsync(MessageStatus status, long totalMs)
    {
        await _questionStored.ConfigureAwait(false);

        var text = _text.ToString();
        await _production.PersistAsync(new ConversationMessage
        {
            MessageId = _chat.MessageId,
            SessionId = _chat.Query.SessionId,
            ChatbotId = _chat.Query.ChatbotId,
            Owner = _chat.Query.Owner,
            Role = ConversationRole.Assistant,
            Content = text,
            Status = status,
            CreatedAt = AnswerTurns.AnsweredAt(_answer.Info, _production.Time.GetUtcNow()),
            Usage = _facts.Usage,
            FirstTokenMs = _facts.FirstTokenMs,
            TotalMs = totalMs,
            Model = _chat.Model,
            ErrorCode = _facts.Error?.Code,
            Parts = _parts.Build(text),
        }).ConfigureAwait(false);
    }

    private long ElapsedMs() => (long)_production.Time.GetElapsedTime(_chat.StartedTimestamp).TotalMilliseconds;
}
