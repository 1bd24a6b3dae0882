using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using StreamingChat.Core;

namespace ChatbotHost;

/// <summary>
/// The model call's <c>gen_ai.client.*</c> metrics when no spans are recorded: the instruments, units, tags and meter that
/// Microsoft.Extensions.AI's <c>UseOpenTelemetry()</c> records (operation duration, token usage, time to first chunk, and
/// time per output chunk), measured as the updates pass, with nothing kept.
/// </summary>
/// <remarks>
/// Why not <c>UseOpenTelemetry()</c> for the metrics alone: it keeps every update of a streamed answer and builds a whole
/// response from them at the end, for the span it may record. At 200 concurrent chats that was 12 % of the host's CPU
/// per token (56.7 against 49.9 ms per 1,000 tokens with the model-call telemetry off) and it tripled the added
/// first-token p99 (60.6 against 21.9 ms: the kept updates live as long as the answer and are promoted before they die).
/// So the host records the metrics here, and adds <c>UseOpenTelemetry()</c>, spans and metrics, only when spans are
/// exported (benchmarks/README.md has the same-run figures).
/// </remarks>
internal sealed class ModelCallMetricsChatClient : DelegatingChatClient
{
    private readonly Histogram<double> _duration;
    private readonly Histogram<int> _tokens;
    private readonly Histogram<double> _timeToFirstChunk;
    private readonly Histogram<double> _timePerOutputChunk;
    private readonly string? _provider;
    private readonly string? _serverAddress;
    private readonly int _serverPort;
    private readonly string? _defaultModel;

    public ModelCallMetricsChatClient(IChatClient innerClient, IMeterFactory meterFactory)
        : base(innerClient)
    {
        var meter = meterFactory.Create(StreamingChatTelemetry.ModelCallSourceName);
        // The semantic conventions' bucket boundaries, as Microsoft.Extensions.AI advises them.
        _duration = meter.CreateHistogram<double>("gen_ai.client.operation.duration", "s", "Measures the duration of a GenAI operation",
            advice: new() { HistogramBucketBoundaries = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92] });
        _tokens = meter.CreateHistogram<int>("gen_ai.client.token.usage", "{token}", "Measures number of input and output tokens used",
            advice: new() { HistogramBucketBoundaries = [1, 4, 16, 64, 256, 1_024, 4_096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216, 67_108_864] });
        _timeToFirstChunk = meter.CreateHistogram<double>("gen_ai.client.operation.time_to_first_chunk", "s", "Measures the time to receive the first chunk in a streaming operation",
            advice: new() { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0] });
        _timePerOutputChunk = meter.CreateHistogram<double>("gen_ai.client.operation.time_per_output_chunk", "s", "Measures the time per output chunk in a streaming operation",
            advice: new() { HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5] });

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
                tags.Add("gen_ai.token.type", "input");
                _tokens.Record((int)input, tags);
            }

            if (usage.OutputTokenCount is { } output)
            {
                var tags = Tags(requestModel, responseModel, null);
                tags.Add("gen_ai.token.type", "output");
                _tokens.Record((int)output, tags);
            }
        }
    }

    private TagList Tags(string? requestModel, string? responseModel, Exception? error)
    {
        var tags = new TagList
        {
            { "gen_ai.operation.name", "chat" },
            { "gen_ai.request.model", requestModel },
        };
        if (_provider is not null)
        {
            tags.Add("gen_ai.provider.name", _provider);
        }

        if (_serverAddress is not null)
        {
            tags.Add("server.address", _serverAddress);
            tags.Add("server.port", _serverPort);
        }

        if (responseModel is not null)
        {
            tags.Add("gen_ai.response.model", responseModel);
        }

        if (error is not null)
        {
            tags.Add("error.type", error.GetType().FullName);
        }

        return tags;
    }
}
