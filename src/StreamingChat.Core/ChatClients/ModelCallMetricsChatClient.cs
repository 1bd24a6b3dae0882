using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using ModelCall = StreamingChat.Core.StreamingChatTelemetry.ModelCall;

namespace StreamingChat.Core;

/// <summary>
/// The model call's <c>gen_ai.client.*</c> metrics when no spans are recorded: the instruments, units, tags and meter that
/// Microsoft.Extensions.AI's <c>UseOpenTelemetry()</c> records (operation duration, token usage, time to first chunk, and
/// time per output chunk; names, units and buckets in <see cref="StreamingChatTelemetry.ModelCall"/>), measured as the
/// updates pass, with nothing kept. Added with <c>UseModelCallMetrics()</c>.
/// </summary>
/// <remarks>
/// Why not <c>UseOpenTelemetry()</c> for the metrics alone: it keeps every update of a streamed answer and builds a whole
/// response from them at the end, for the span it may record. At 200 concurrent chats that was 12 % of the sample host's CPU
/// per token (56.7 against 49.9 ms per 1,000 tokens with the model-call telemetry off) and it tripled the added
/// first-token p99 (60.6 against 21.9 ms: the kept updates live as long as the answer and are promoted before they die).
/// So a host records the metrics with this client, and adds <c>UseOpenTelemetry()</c>, spans and metrics, only when spans
/// are exported, as the sample host does (benchmarks/README.md has the same-run figures).
/// </remarks>
public sealed class ModelCallMetricsChatClient : DelegatingChatClient
{
    private readonly Histogram<double> _duration;
    private readonly Histogram<int> _tokens;
    private readonly Histogram<double> _timeToFirstChunk;
    private readonly Histogram<double> _timePerOutputChunk;
    private readonly string? _provider;
    private readonly string? _serverAddress;
    private readonly int _serverPort;
    private readonly string? _defaultModel;

    /// <summary>Creates the client; its instruments are on the meter <see cref="StreamingChatTelemetry.ModelCallSourceName"/> from <paramref name="meterFactory"/>.</summary>
    /// <param name="innerClient">The model client measured; its <see cref="ChatClientMetadata"/> gives the provider and server tags.</param>
    /// <param name="meterFactory">The application's meter factory.</param>
    public ModelCallMetricsChatClient(IChatClient innerClient, IMeterFactory meterFactory)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(StreamingChatTelemetry.ModelCallSourceName);
        // The semantic conventions' bucket boundaries, as Microsoft.Extensions.AI advises them.
        _duration = meter.CreateHistogram<double>(ModelCall.OperationDuration, ModelCall.Seconds, ModelCall.OperationDurationDescription,
            advice: new() { HistogramBucketBoundaries = ModelCall.OperationDurationBuckets });
        _tokens = meter.CreateHistogram<int>(ModelCall.TokenUsage, ModelCall.Tokens, ModelCall.TokenUsageDescription,
            advice: new() { HistogramBucketBoundaries = ModelCall.TokenUsageBuckets });
        _timeToFirstChunk = meter.CreateHistogram<double>(ModelCall.TimeToFirstChunk, ModelCall.Seconds, ModelCall.TimeToFirstChunkDescription,
            advice: new() { HistogramBucketBoundaries = ModelCall.TimeToFirstChunkBuckets });
        _timePerOutputChunk = meter.CreateHistogram<double>(ModelCall.TimePerOutputChunk, ModelCall.Seconds, ModelCall.TimePerOutputChunkDescription,
            advice: new() { HistogramBucketBoundaries = ModelCall.TimePerOutputChunkBuckets });

        var metadata = innerClient.GetService<ChatClientMetadata>();
        _provider = metadata?.ProviderName;
        _serverAddress = metadata?.ProviderUri?.Host;
        _serverPort = metadata?.ProviderUri?.Port ?? 0;
        _defaultModel = metadata?.DefaultModelId;
    }

    /// <inheritdoc/>
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        ChatResponse? response = null;
        Exception? error = null;
        try
        {
            response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
            return response;
        }
        catch (Exception ex)
        {
            error = ex;
            throw;
        }
        finally
        {
            Record(options?.ModelId ?? _defaultModel, response?.ModelId, response?.Usage, error, started);
        }
    }

    /// <inheritdoc/>
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Over 60 lines: the enumeration is written out so a failure is seen (C# cannot yield inside a catch) while each update is measured as it passes.
        var requestModel = options?.ModelId ?? _defaultModel;
        var started = Stopwatch.GetTimestamp();
        var last = started;
        var first = true;
        string? responseModel = null;
        UsageDetails? usage = null;
        Exception? error = null;
        IAsyncEnumerator<ChatResponseUpdate>? updates = null;
        try
        {
            updates = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
            while (true)
            {
                ChatResponseUpdate update;
                try
                {
                    if (!await updates.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }

                    update = updates.Current;
                }
                catch (Exception ex)
                {
                    error = ex;
                    throw;
                }

                var now = Stopwatch.GetTimestamp();
                if (first)
                {
                    first = false;
                    if (_timeToFirstChunk.Enabled)
                    {
                        _timeToFirstChunk.Record(Stopwatch.GetElapsedTime(started, now).TotalSeconds, Tags(requestModel, update.ModelId, null));
                    }
                }
                else if (_timePerOutputChunk.Enabled)
                {
                    _timePerOutputChunk.Record(Stopwatch.GetElapsedTime(last, now).TotalSeconds, Tags(requestModel, update.ModelId, null));
                }

                last = now;
                responseModel = update.ModelId ?? responseModel;
                var contents = update.Contents;
                for (var i = 0; i < contents.Count; i++)
                {
                    if (contents[i] is UsageContent found)
                    {
                        usage = found.Details;
                    }
                }

                yield return update;
            }
        }
        finally
        {
            if (updates is not null)
            {
                await updates.DisposeAsync().ConfigureAwait(false);
            }

            Record(requestModel, responseModel, usage, error, started);
        }
    }

    private void Record(string? requestModel, string? responseModel, UsageDetails? usage, Exception? error, long started)
    {
        if (_duration.Enabled)
        {
            _duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, Tags(requestModel, responseModel, error));
        }

        if (_tokens.Enabled && usage is not null)
        {
            if (usage.InputTokenCount is { } input)
            {
                var tags = Tags(requestModel, responseModel, null);
                tags.Add(ModelCall.Tags.TokenType, ModelCall.Tags.InputTokens);
                _tokens.Record((int)input, tags);
            }

            if (usage.OutputTokenCount is { } output)
            {
                var tags = Tags(requestModel, responseModel, null);
                tags.Add(ModelCall.Tags.TokenType, ModelCall.Tags.OutputTokens);
                _tokens.Record((int)output, tags);
            }
        }
    }

    private TagList Tags(string? requestModel, string? responseModel, Exception? error)
    {
        var tags = new TagList
        {
            { ModelCall.Tags.OperationName, ModelCall.Tags.ChatOperation },
            { StreamingChatTelemetry.Tags.RequestModel, requestModel },
        };
        if (_provider is not null)
        {
            tags.Add(ModelCall.Tags.ProviderName, _provider);
        }

        if (_serverAddress is not null)
        {
            tags.Add(ModelCall.Tags.ServerAddress, _serverAddress);
            tags.Add(ModelCall.Tags.ServerPort, _serverPort);
        }

        if (responseModel is not null)
        {
            tags.Add(ModelCall.Tags.ResponseModel, responseModel);
        }

        if (error is not null)
        {
            tags.Add(StreamingChatTelemetry.Tags.ErrorType, error.GetType().FullName);
        }

        return tags;
    }
}
