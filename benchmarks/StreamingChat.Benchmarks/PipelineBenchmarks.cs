using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StreamingChat.Core;

namespace StreamingChat.Benchmarks;

/// <summary>
/// What producing an answer adds per token, with a model that costs nothing (its updates made once, handed out again and
/// again). Baseline: the same model's stream read directly. Per stream the answer is also started (its prompt built), its
/// events logged for its readers, the question and the answer stored (in memory here) and its metrics recorded; that cost
/// is spread over the stream's 1,000 tokens.
/// </summary>
public class PipelineBenchmarks
{
    private const int Tokens = 1000;
    private readonly ZeroLatencyChatClient _model = new(Tokens);
    private ServiceProvider _services = null!;
    private IAnswers _answers = null!;
    private ChatbotDefinition _chatbot = null!;

    [GlobalSetup]
    public void Setup()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["StreamingChat:Chat:HistoryTurns"] = "0",
            ["StreamingChat:Answers:MaxAnswers"] = "16",
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddStreamingChatCore(configuration).AddChatClient(_ => _model);
        _services = services.BuildServiceProvider();
        _answers = _services.GetRequiredService<IAnswers>();
        _chatbot = _services.GetRequiredService<IChatbotStore>().GetAsync(ChatbotSeedOptions.DemoChatbotId).GetAwaiter().GetResult()!;
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

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

    [Benchmark(OperationsPerInvoke = Tokens, Description = "through IAnswers: started, read from its log")]
    public async Task<int> Pipeline()
    {
        // Each answer is a new one (its own id in the answer log); starting it is spread over its 1,000 tokens.
        var answer = await _answers.StartAsync(new AnswerAdmission(new ChatQuery("Hello", "demo", "bench"), _chatbot));
        using var reader = _answers.AttachReader(answer.MessageId);
        var length = 0;
        await foreach (var e in _answers.ReadEventsAsync(answer.MessageId))
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
}
