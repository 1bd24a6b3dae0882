using System.Text;

namespace StreamingChat.Core;

/// <summary>The answers' part in a log shared by every instance: stops asked elsewhere, and answers whose producer died.</summary>
internal sealed partial class AnswerService
{
    private Func<string, ValueTask<bool>>? _readElsewhere;

    // Answers this instance was asked to stop while another produces them: found lost meanwhile, they end as stopped.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _stoppingElsewhere = new(StringComparer.Ordinal);

    private void ConnectShared(ISharedAnswerLog shared)
    {
        _readElsewhere = id => shared.IsReadElsewhereAsync(id);
        shared.Connect(
            stopRequested: id =>
            {
                _ = _production.Running.Find(id)?.StopAsync();
                return ValueTask.CompletedTask;
            },
            producerLost: async answer => await EndLostAsync(answer).ConfigureAwait(false),
            endedElsewhere: id => _production.Running.Find(id)?.EndedElsewhere(),
            sessionErased: _production.Outbox.EraseSession);
    }

    /// <summary>
    /// Ends a running answer whose producing instance is gone, once across the service: what it said is stored (the question
    /// too, in case it never was) as <see cref="MessageStatus.Interrupted"/> with <c>error</c> <c>answer_lost</c> appended,
    /// or, when <paramref name="stopped"/>, as <see cref="MessageStatus.Stopped"/> with <c>done</c> <c>stopped</c>. Null
    /// when another instance is ending it, it has ended, or the log is not shared.
    /// </summary>
    internal async Task<AnswerEnding?> EndLostAsync(AnswerState answer, bool stopped = false)
    {
        ArgumentNullException.ThrowIfNull(answer);
        if (_log is not ISharedAnswerLog shared || !answer.IsRunning || !await shared.TryClaimAsync(answer.Info.MessageId).ConfigureAwait(false))
        {
            return null;
        }

        var info = answer.Info;
        stopped |= _stoppingElsewhere.ContainsKey(info.MessageId);
        var text = await ReadSoFarAsync(info.MessageId).ConfigureAwait(false);
        var status = stopped ? MessageStatus.Stopped : MessageStatus.Interrupted;
        var terminal = stopped
            ? AnswerEvent.ForDone(new AnswerDone("stopped", null, null, (long)(_production.Time.GetUtcNow() - info.CreatedAt).TotalMilliseconds))
            : AnswerEvent.ForError(AnswerErrors.ProducerLost);

        // Upserts by id: the question again in case its producer died before storing it, then the answer, then the end.
        await _production.PersistAsync(AnswerTurns.Question(info)).ConfigureAwait(false);
        await _production.PersistAsync(new ConversationMessage
        {
            MessageId = info.MessageId,
            SessionId = info.SessionId,
            ChatbotId = info.ChatbotId,
            Owner = info.Owner,
            Role = ConversationRole.Assistant,
            Content = text,
            Status = status,
            CreatedAt = AnswerTurns.AnsweredAt(info, _production.Time.GetUtcNow()),
            ErrorCode = stopped ? null : ChatErrorCodes.AnswerLost,
        }).ConfigureAwait(false);

        var id = await shared.EndElsewhereAsync(info.MessageId, terminal, status).ConfigureAwait(false);
        if (id is null)
        {
            return null;
        }

        Log.AnswerProducerLost(_production.Logger, stopped ? "stopped" : ChatErrorCodes.AnswerLost, id.Value);
        return new AnswerEnding(info.MessageId, status, text, id.Value, 0);
    }

    /// <summary>
    /// Stops an answer produced on another instance: asks that instance (it stores what was said as
    /// <see cref="MessageStatus.Stopped"/> and ends the answer), or ends it here when that instance is gone; completes with
    /// how the answer ended once its terminal event is in the log, or null when <paramref name="patience"/> ran out first.
    /// </summary>
    private async Task<AnswerEnding?> StopElsewhereAsync(AnswerState answer, TimeSpan patience, CancellationToken cancellationToken)
    {
        if (_log is not ISharedAnswerLog shared)
        {
            return null;
        }

        var messageId = answer.Info.MessageId;
        _stoppingElsewhere[messageId] = 0;
        try
        {
            return await StopAndWaitAsync(shared, answer, patience, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _stoppingElsewhere.TryRemove(messageId, out _);
        }
    }

    private async Task<AnswerEnding?> StopAndWaitAsync(ISharedAnswerLog shared, AnswerState answer, TimeSpan patience, CancellationToken cancellationToken)
    {
        // A producer that died without its lease having lapsed yet is noticed while the terminal event is awaited: it is
        // ended then, as stopped (see EndLostAsync).
        var messageId = answer.Info.MessageId;
        if (await shared.IsProducerAliveAsync(messageId, cancellationToken).ConfigureAwait(false))
        {
            await shared.RequestStopAsync(messageId, cancellationToken).ConfigureAwait(false);
        }
        else if (await EndLostAsync(answer, stopped: true).ConfigureAwait(false) is { } ended)
        {
            return ended;
        }

        // The terminal event, read as any reader reads it (a producer that dies meanwhile is noticed there).
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(patience);
        var text = new StringBuilder();
        long lastId = -1;
        try
        {
            await foreach (var streamEvent in _log.ReadEventsAsync(messageId, 0, bounded.Token).ConfigureAwait(false))
            {
                lastId++;
                if (streamEvent.Kind == AnswerEventKind.Token)
                {
                    text.Append(streamEvent.Text);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }

        var now = await _log.GetAsync(messageId, cancellationToken).ConfigureAwait(false);
        return now?.Status is { } status ? new AnswerEnding(messageId, status, text.ToString(), lastId, 0) : null;
    }

    /// <summary>The text an answer's log holds now, read without waiting long.</summary>
    private async Task<string> ReadSoFarAsync(string messageId)
    {
        using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var events = new List<AnswerEvent>();
        try
        {
            await _log.ReadAsync(messageId, 0, events, bounded.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Nothing logged: nothing was said.
        }

        var text = new StringBuilder();
        foreach (var streamEvent in events)
        {
            if (streamEvent.Kind == AnswerEventKind.Token)
            {
                text.Append(streamEvent.Text);
            }
        }

        return text.ToString();
    }
}
