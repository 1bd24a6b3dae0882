using Microsoft.Extensions.Options;

namespace StreamingChat.Core;

/// <summary>
/// <see cref="IAnswers"/>: starts answers on this instance (<see cref="AnswerProducer"/>), and reads, stops and looks up any,
/// through the answer log; with a shared log (<see cref="ISharedAnswerLog"/>) also those running on other instances, and
/// it ends the ones whose instance died (<c>AnswerService.Shared.cs</c>).
/// </summary>
internal sealed partial class AnswerService : IAnswers
{
    private readonly AnswerProduction _production;
    private readonly IAnswerLog _log;
    private readonly IOptionsMonitor<AnswerOptions> _answerOptions;

    public AnswerService(AnswerProduction production, IOptionsMonitor<AnswerOptions> answerOptions)
    {
        _production = production;
        _log = production.Log;
        _answerOptions = answerOptions;
        if (_log is ISharedAnswerLog shared)
        {
            ConnectShared(shared);
        }
    }

    /// <inheritdoc/>
    public async Task<AnswerInfo> StartAsync(AnswerAdmission admission, CancellationToken cancellationToken = default)
        => (await StartRunningAsync(admission, cancellationToken).ConfigureAwait(false)).Info;

    /// <summary>Starts the answer as <see cref="StartAsync"/> does, and hands back the answer running here.</summary>
    internal async Task<RunningAnswer> StartRunningAsync(AnswerAdmission admission, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(admission);
        var time = _production.Time;
        PreparedAnswer prepared;
        AnswerInfo info;
        RunningAnswer answer;
        try
        {
            prepared = await _production.PrepareAsync(admission, time.GetTimestamp(), cancellationToken).ConfigureAwait(false);
            var query = prepared.Query;
            info = new AnswerInfo(prepared.MessageId, query.SessionId, query.ChatbotId, query.Owner, query.Query, admission.Streaming, time.GetUtcNow());
            await _log.CreateAsync(info, cancellationToken).ConfigureAwait(false);
            answer = new RunningAnswer(info, admission.Deadline, TimeSpan.FromSeconds(_production.Options.CurrentValue.DisconnectGraceSeconds), time, _readElsewhere);
        }
        catch
        {
            await admission.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var producer = new AnswerProducer(_production, prepared, answer, admission);
        _production.Running.Add(answer);
        _production.Metrics.StreamStarted(info.ChatbotId, prepared.Model, info.Streaming);
        await producer.BeginAsync().ConfigureAwait(false);

        // Started here, not queued to the thread pool: the model call is sent before this returns (the producer runs on
        // until its first wait, the model's answer), so a busy pool never delays the first token.
        _ = producer.RunAsync();
        return answer;
    }

    /// <inheritdoc/>
    public ValueTask<AnswerState?> GetAsync(string messageId, CancellationToken cancellationToken = default) => _log.GetAsync(messageId, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<AnswerState?> GetLatestAsync(string sessionId, CancellationToken cancellationToken = default) => _log.GetLatestAsync(sessionId, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<AnswerRead> ReadAsync(string messageId, long fromId, List<AnswerEvent> events, CancellationToken cancellationToken = default)
        => _log.ReadAsync(messageId, fromId, events, cancellationToken);

    /// <inheritdoc/>
    public IDisposable AttachReader(string messageId) => _production.Running.Find(messageId)?.AttachReader() ?? NoReader.Instance;

    /// <inheritdoc/>
    public async Task<AnswerEnding?> StopAsync(string messageId, CancellationToken cancellationToken = default)
    {
        // A stopped answer's store write is bounded by the persist timeout, which this patience covers.
        var patience = TimeSpan.FromSeconds(_production.Options.CurrentValue.PersistTimeoutSeconds + 5);
        if (_production.Running.Find(messageId) is { } running)
        {
            try
            {
                return await running.StopAsync().WaitAsync(patience, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return null;
            }
        }

        var answer = await _log.GetAsync(messageId, cancellationToken).ConfigureAwait(false);
        if (answer is null)
        {
            return null;
        }

        // Produced on another instance: that one is told (or, if it is gone, the answer is ended here). A producer that died
        // may hold its lease for a whole LeaseSeconds before anyone can tell, plus a reread to notice it.
        var options = _answerOptions.CurrentValue;
        if (answer.IsRunning && await StopElsewhereAsync(answer, patience + TimeSpan.FromSeconds(options.LeaseSeconds + options.RereadSeconds), cancellationToken).ConfigureAwait(false) is { } stopped)
        {
            return stopped;
        }

        answer = await _log.GetAsync(messageId, cancellationToken).ConfigureAwait(false) ?? answer;
        return answer.Status is { } status
            ? new AnswerEnding(messageId, status, await _log.ReadTextAsync(messageId, cancellationToken).ConfigureAwait(false), answer.LastEventId, 0)
            : null;
    }

    /// <inheritdoc/>
    public async Task EraseSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        _production.Outbox.EraseSession(sessionId);
        await _log.EraseSessionAsync(sessionId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The handle of a reader of an answer that does not run here: nothing to count.</summary>
    private sealed class NoReader : IDisposable
    {
        public static readonly NoReader Instance = new();

        public void Dispose()
        {
        }
    }
}
