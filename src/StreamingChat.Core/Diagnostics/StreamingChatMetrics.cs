using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace StreamingChat.Core;

/// <summary>
/// Counts streams two ways at once: OpenTelemetry-style instruments under <c>streamingchat.*</c> (for exporters), and
/// the sliding windows behind the summary endpoints (service-wide and per chatbot). Recording happens once when a
/// stream starts and once when it ends; nothing is recorded per token.
/// </summary>
public sealed partial class StreamingChatMetrics
{
    /// <summary>The activity source of the relay's spans (<c>chat.stream</c>).</summary>
    public static readonly ActivitySource ActivitySource = new(StreamingChatTelemetry.Name);

    private static readonly double[] SecondsBuckets = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 20, 30, 60, 120, 300];

    private readonly Counter<long> _started;
    private readonly Counter<long> _finished;
    private readonly UpDownCounter<long> _active;
    private readonly Histogram<double> _timeToFirstToken;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _tokens;
    private readonly CohortCounters _streamingCohort = new();
    private readonly CohortCounters _otherCohort = new();
    private readonly Histogram<double> _speechDuration;
    private readonly Counter<long> _speechFailures;
    private readonly TimeProvider _time;
    private readonly TimeSpan _windowLength;
    private readonly ConcurrentDictionary<string, StreamingMetricsWindow> _byChatbot = new(StringComparer.Ordinal);
    private long _activeStreams;
    private long _totalRequests;
    private long _totalSucceeded;
    private long _totalFailed;
    private long _totalAborted;
    private long _totalTokens;
    private long _totalFirstTokens;
    private long _totalFirstTokenMicros;
    private long _totalToolCalls;
    private long _totalToolFailures;
    private long _totalReasoningAnswers;
    private readonly Counter<long> _toolCalls;
    private readonly Counter<long> _reasoningAnswers;
    private readonly Counter<long> _feedback;
    private readonly ConcurrentDictionary<string, long[]> _feedbackByChatbot = new(StringComparer.Ordinal);

    /// <summary>Creates the instruments from <paramref name="meterFactory"/> and the windows of <see cref="MetricsOptions.WindowSeconds"/>.</summary>
    public StreamingChatMetrics(IMeterFactory meterFactory, IOptions<MetricsOptions> options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _time = timeProvider;
        _windowLength = TimeSpan.FromSeconds(options.Value.WindowSeconds);
        Window = new StreamingMetricsWindow(_windowLength, timeProvider);
        Series = new MetricsSeries(timeProvider);

        var meter = Meter = meterFactory.Create(StreamingChatTelemetry.Name);
        _started = meter.CreateCounter<long>(StreamingChatTelemetry.Instruments.StreamsStarted, "{stream}", "Streams started.");
        _finished = meter.CreateCounter<long>(StreamingChatTelemetry.Instruments.StreamsFinished, "{stream}", "Streams finished, by outcome and error type.");
        _active = meter.CreateUpDownCounter<long>(StreamingChatTelemetry.Instruments.StreamsActive, "{stream}", "Streams open now.");
        _timeToFirstToken = meter.CreateHistogram(StreamingChatTelemetry.Instruments.TimeToFirstToken, "s", "Time from the question to the first token.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _duration = meter.CreateHistogram(StreamingChatTelemetry.Instruments.StreamDuration, "s", "Time from the question to the end of the stream.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _tokens = meter.CreateCounter<long>(StreamingChatTelemetry.Instruments.Tokens, "{token}", "Tokens relayed to callers.");
        _speechDuration = meter.CreateHistogram(StreamingChatTelemetry.Instruments.SpeechDuration, "s", "Time to speak one sentence.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _speechFailures = meter.CreateCounter<long>(StreamingChatTelemetry.Instruments.SpeechFailures, "{sentence}", "Sentences that could not be spoken, by error type.");
        _toolCalls = meter.CreateCounter<long>(StreamingChatTelemetry.Instruments.ToolCalls, "{call}", "Tool calls, by tool and outcome (succeeded, failed).");
        _reasoningAnswers = meter.CreateCounter<long>(StreamingChatTelemetry.Instruments.ReasoningAnswers, "{answer}", "Answers in which the model reasoned.");
        _feedback = meter.CreateCounter<long>(StreamingChatTelemetry.Instruments.Feedback, "{rating}", "Ratings people gave answers, by chatbot and rating.");
    }

    /// <summary>
    /// The <c>StreamingChat</c> meter, from the application's <see cref="IMeterFactory"/>: the other StreamingChat packages, and an
    /// application's own endpoints, add their instruments to it, so one <c>AddMeter("StreamingChat")</c> exports them all.
    /// </summary>
    public Meter Meter { get; }

    /// <summary>The service-wide window of this instance.</summary>
    internal StreamingMetricsWindow Window { get; }

    /// <summary>How long a window is (<see cref="MetricsOptions.WindowSeconds"/>).</summary>
    public TimeSpan WindowLength => _windowLength;

    /// <summary>This instance's figures over the last <see cref="WindowLength"/>: what <c>GET /api/metrics/streaming/summary</c> shows.</summary>
    /// <returns>A copy; it does not change as streams go on.</returns>
    public WindowFigures ReadWindow() => Window.Read();

    /// <summary>Streams open now.</summary>
    public long ActiveStreams => Volatile.Read(ref _activeStreams);

    /// <summary>The figures per interval of wall-clock time (<c>GET /api/metrics/streaming/series</c>).</summary>
    public MetricsSeries Series { get; }

    /// <summary>Counts since this instance started.</summary>
    public MetricsTotals Totals => new(
        Volatile.Read(ref _totalRequests),
        Volatile.Read(ref _totalSucceeded),
        Volatile.Read(ref _totalFailed),
        Volatile.Read(ref _totalAborted),
        Volatile.Read(ref _totalTokens));

    /// <summary>First tokens since this instance started, with their summed latency: what a service-wide window adds up.</summary>
    internal FirstTokenTotals FirstTokens => new(Volatile.Read(ref _totalFirstTokens), Volatile.Read(ref _totalFirstTokenMicros));

    /// <summary>The window figures of every chatbot that had a stream, by chatbot id.</summary>
    public IReadOnlyDictionary<string, WindowFigures> ReadByChatbot()
        => _byChatbot.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value.Read(), StringComparer.Ordinal);

    /// <summary>Counts since start of the streams answered streaming (<paramref name="streaming"/>) or in one piece: the rollout's cohorts.</summary>
    /// <returns>A copy of the counts.</returns>
    public CohortTotals ReadCohort(bool streaming) => (streaming ? _streamingCohort : _otherCohort).Read();

    /// <summary>Records a stream that started.</summary>
    internal void StreamStarted(string chatbotId, string model, bool streaming)
    {
        Interlocked.Increment(ref _activeStreams);
        Interlocked.Increment(ref _totalRequests);
        Interlocked.Increment(ref (streaming ? _streamingCohort : _otherCohort).Requests);
        Window.RecordStarted();
        Series.RecordStarted(Volatile.Read(ref _activeStreams));
        ChatbotWindow(chatbotId).RecordStarted();
        if (_started.Enabled)
        {
            _started.Add(1, StreamTags(chatbotId, model, streaming));
        }

        if (_active.Enabled)
        {
            _active.Add(1, new KeyValuePair<string, object?>(StreamingChatTelemetry.Tags.ChatbotId, chatbotId));
        }
    }

    /// <summary>Records a stream that ended.</summary>
    internal void StreamFinished(string chatbotId, string model, bool streaming, StreamOutcome outcome, string? errorCode, TimeSpan? timeToFirstToken, TimeSpan duration, long tokens)
    {
        // Over 60 lines: one switch over the outcomes feeding the counters, histograms and the window, a few lines each.
        Interlocked.Decrement(ref _activeStreams);
        var cohort = streaming ? _streamingCohort : _otherCohort;
        switch (outcome)
        {
            case StreamOutcome.Succeeded:
                Interlocked.Increment(ref _totalSucceeded);
                Interlocked.Increment(ref cohort.Succeeded);
                break;
            case StreamOutcome.Failed:
                Interlocked.Increment(ref _totalFailed);
                Interlocked.Increment(ref cohort.Failed);
                break;
            default:
                Interlocked.Increment(ref _totalAborted);
                Interlocked.Increment(ref cohort.ClientAborted);
                break;
        }

        Interlocked.Add(ref _totalTokens, tokens);
        var firstMs = timeToFirstToken?.TotalMilliseconds;
        if (firstMs is { } firstTokenMs)
        {
            Interlocked.Add(ref _totalFirstTokenMicros, (long)(firstTokenMs * 1000));
            Interlocked.Increment(ref _totalFirstTokens);
            Interlocked.Add(ref cohort.FirstTokenMicros, (long)(firstTokenMs * 1000));
            Interlocked.Increment(ref cohort.FirstTokens);
        }

        Window.RecordFinished(outcome, errorCode, firstMs, duration.TotalMilliseconds, tokens);
        Series.RecordFinished(outcome, firstMs, tokens);
        ChatbotWindow(chatbotId).RecordFinished(outcome, errorCode, firstMs, duration.TotalMilliseconds, tokens);
        if (_active.Enabled)
        {
            _active.Add(-1, new KeyValuePair<string, object?>(StreamingChatTelemetry.Tags.ChatbotId, chatbotId));
        }

        if (_finished.Enabled)
        {
            var tags = StreamTags(chatbotId, model, streaming);
            tags.Add(StreamingChatTelemetry.Tags.Outcome, OutcomeName(outcome));
            if (errorCode is not null)
            {
                tags.Add(StreamingChatTelemetry.Tags.ErrorType, errorCode);
            }

            _finished.Add(1, tags);
        }

        if (timeToFirstToken is { } first && _timeToFirstToken.Enabled)
        {
            _timeToFirstToken.Record(first.TotalSeconds, StreamTags(chatbotId, model, streaming));
        }

        if (_duration.Enabled)
        {
            var tags = StreamTags(chatbotId, model, streaming);
            tags.Add(StreamingChatTelemetry.Tags.Outcome, OutcomeName(outcome));
            _duration.Record(duration.TotalSeconds, tags);
        }

        if (tokens > 0 && _tokens.Enabled)
        {
            _tokens.Add(tokens, StreamTags(chatbotId, model, streaming));
        }
    }

    /// <summary>Records one sentence spoken, or not (<paramref name="errorType"/> says why).</summary>
    internal void SentenceSpoken(string chatbotId, TimeSpan duration, string? errorType)
    {
        if (_speechDuration.Enabled)
        {
            _speechDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>(StreamingChatTelemetry.Tags.ChatbotId, chatbotId));
        }

        if (errorType is not null)
        {
            _speechFailures.Add(1, new KeyValuePair<string, object?>(StreamingChatTelemetry.Tags.ChatbotId, chatbotId), new KeyValuePair<string, object?>(StreamingChatTelemetry.Tags.ErrorType, errorType));
        }
    }

    /// <summary>The outcome's tag value.</summary>
    internal static string OutcomeName(StreamOutcome outcome) => outcome switch
    {
        StreamOutcome.Succeeded => StreamingChatTelemetry.Outcomes.Succeeded,
        StreamOutcome.Failed => StreamingChatTelemetry.Outcomes.Failed,
        _ => StreamingChatTelemetry.Outcomes.ClientAborted,
    };

    private static TagList StreamTags(string chatbotId, string model, bool streaming) => new()
    {
        { StreamingChatTelemetry.Tags.ChatbotId, chatbotId },
        { StreamingChatTelemetry.Tags.RequestModel, model },
        { StreamingChatTelemetry.Tags.Streaming, streaming },
    };

    private StreamingMetricsWindow ChatbotWindow(string chatbotId)
        => _byChatbot.GetOrAdd(chatbotId, static (_, state) => new StreamingMetricsWindow(state.Length, state.Time), (Length: _windowLength, Time: _time));
}

/// <summary>Counts since the instance started.</summary>
/// <param name="Requests">Streams started.</param>
/// <param name="Succeeded">Streams that sent <c>done</c>.</param>
/// <param name="Failed">Streams that sent <c>error</c>.</param>
/// <param name="ClientAborted">Streams whose caller left first.</param>
/// <param name="Tokens">Tokens relayed.</param>
public sealed record MetricsTotals(long Requests, long Succeeded, long Failed, long ClientAborted, long Tokens);


/// <summary>One rollout cohort's counts since an instance started (streams answered streaming, or in one piece).</summary>
/// <param name="Requests">Streams started.</param>
/// <param name="Succeeded">Streams that sent <c>done</c>.</param>
/// <param name="Failed">Streams that sent <c>error</c>.</param>
/// <param name="ClientAborted">Streams whose caller left first.</param>
/// <param name="FirstTokens">Streams that had a first token.</param>
/// <param name="FirstTokenMicros">Their first-token latencies added up, in microseconds.</param>
public readonly record struct CohortTotals(long Requests, long Succeeded, long Failed, long ClientAborted, long FirstTokens, long FirstTokenMicros);

/// <summary>The counters behind <see cref="CohortTotals"/>, added to with <see cref="Interlocked"/>.</summary>
internal sealed class CohortCounters
{
    public long Requests;
    public long Succeeded;
    public long Failed;
    public long ClientAborted;
    public long FirstTokens;
    public long FirstTokenMicros;

    public CohortTotals Read() => new(
        Volatile.Read(ref Requests), Volatile.Read(ref Succeeded), Volatile.Read(ref Failed),
        Volatile.Read(ref ClientAborted), Volatile.Read(ref FirstTokens), Volatile.Read(ref FirstTokenMicros));
}

/// <summary>First tokens since an instance started.</summary>
/// <param name="Count">Streams that had a first token.</param>
/// <param name="TotalMicroseconds">Their first-token latencies added up, in microseconds.</param>
internal sealed record FirstTokenTotals(long Count, long TotalMicroseconds);
