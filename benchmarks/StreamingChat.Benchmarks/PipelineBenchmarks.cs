using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StreamingChat.Core;

namespace StreamingChat.Benchmarks;

/// <summary>
/// What the chat pipeline adds per token, with a model that costs nothing (its updates made once, handed out again and
/// again). Baseline: the same model's stream read directly. Per stream the pipeline also prepares the question, logs the
/// answer's events for its readers, stores the question and the answer (in memory here) and records its metrics; that
/// cost is spread over the stream's 1,000 tokens.
/// </summary>
public class PipelineBenchmarks
{
    private const int Tokens = 1000;
    private readonly ZeroLatencyChatClient _model = new(Tokens);
    private ChatPipeline _pipeline = null!;

    [GlobalSetup]
    public void Setup()
    {
        var chatOptions = new ChatStreamOptions { HistoryTurns = 0 };
        _pipeline = new ChatPipeline(
            _model,
            new InMemoryChatbotStore(Options.Create(new ChatbotSeedOptions())),
            new InMemoryConversationStore(Options.Create(chatOptions)),
            new Monitor<ChatStreamOptions>(chatOptions),
            [],
            new StreamingChatMetrics(new NoMeters(), Options.Create(new MetricsOptions()), TimeProvider.System),
            TimeProvider.System,
            NullLogger<ChatPipeline>.Instance,
            answers: new InMemoryAnswerLog(new AnswerOptions { MaxAnswers = 16 }));
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Tokens, Description = "the model's stream, read directly")]
    public async Task<int> Direct()
    {
        var length = 0;
        await foreach (var update in _model.GetStreamingResponseAsync([], null))
        {
            length += update.Text.Length;
        }

        return length;
    }

    [Benchmark(OperationsPerInvoke = Tokens, Description = "through ChatPipeline.StreamAsync")]
    public async Task<int> Pipeline()
    {
        // Each answer is a new one (its own id in the answer log); preparing it is spread over its 1,000 tokens.
        var chat = (await _pipeline.PrepareAsync(new ChatQuery("Hello", "demo", "bench")))!;
        var length = 0;
        await foreach (var e in _pipeline.StreamAsync(chat, streaming: true))
        {
            length += e.Text?.Length ?? 0;
        }

        return length;
    }

    private sealed class ZeroLatencyChatClient(int tokens) : IChatClient
    {
        private readonly ChatResponseUpdate[] _updates = [.. Enumerable.Range(0, tokens).Select(i => new ChatResponseUpdate(ChatRole.Assistant, $" token{i}"))];

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.CompletedTask;
            foreach (var update in _updates)
            {
                yield return update;
            }
        }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    private sealed class Monitor<T>(T value) : IOptionsMonitor<T>
    {
        public T CurrentValue => value;

        public T Get(string? name) => value;

        public IDisposable? OnChange(Action<T, string?> listener) => null;
    }

    private sealed class NoMeters : System.Diagnostics.Metrics.IMeterFactory
    {
        public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options) => new(options);

        public void Dispose()
        {
        }
    }
}
