using BenchmarkDotNet.Attributes;
using StreamingChat.Core;

namespace StreamingChat.Benchmarks;

/// <summary>
/// What the in-memory answer log costs per token: the producer appends 1,000 tokens and the terminal event while one
/// reader, on another thread as a relay is, reads them from the start, woken by each append it waits for. Baseline: the
/// same events handed over through a bounded channel, the shortest hand-off between two threads the framework offers.
/// </summary>
public class AnswerLogBenchmarks
{
    private const int Tokens = 1000;
    private static readonly AnswerEvent Token = AnswerEvent.ForToken(" token");
    private static readonly AnswerEvent Done = AnswerEvent.ForDone(new AnswerDone("stop", null, 1, 2));
    private readonly InMemoryAnswerLog _log = new(new AnswerOptions { MaxAnswers = 16 });
    private readonly CancellationTokenSource _requestAborted = new();
    private long _answers;

    [Benchmark(Baseline = true, OperationsPerInvoke = Tokens, Description = "a bounded channel, one reader")]
    public async Task<int> Channel()
    {
        var channel = System.Threading.Channels.Channel.CreateBounded<AnswerEvent>(new System.Threading.Channels.BoundedChannelOptions(Tokens + 1) { SingleReader = true, SingleWriter = true });
        var reader = Task.Run(async () =>
        {
            var count = 0;
            await foreach (var e in channel.Reader.ReadAllAsync())
            {
                count++;
            }

            return count;
        });
        for (var i = 0; i < Tokens; i++)
        {
            await channel.Writer.WriteAsync(Token);
        }

        await channel.Writer.WriteAsync(Done);
        channel.Writer.Complete();
        return await reader;
    }

    [Benchmark(OperationsPerInvoke = Tokens, Description = "InMemoryAnswerLog, append and read")]
    public Task<int> AnswerLog() => AppendAndReadAsync(CancellationToken.None);

    [Benchmark(OperationsPerInvoke = Tokens, Description = "InMemoryAnswerLog, read with a request's cancellation")]
    public Task<int> AnswerLogCancellable() => AppendAndReadAsync(_requestAborted.Token);

    private string _running = "";

    /// <summary>A fresh running answer for <see cref="AppendOnly"/>, with its start event, as the producer opens one.</summary>
    [IterationSetup(Target = nameof(AppendOnly))]
    public void OpenRunningAnswer()
    {
        _running = "r" + Interlocked.Increment(ref _answers);
        _log.CreateAsync(new AnswerInfo(_running, "s" + _running, "demo", null, "Hi", Streaming: true, DateTimeOffset.UnixEpoch)).AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Ends it (compacting it and handing its pooled arrays back), outside the measurement.</summary>
    [IterationCleanup(Target = nameof(AppendOnly))]
    public void EndRunningAnswer() => _log.EndAsync(_running, Done, MessageStatus.Complete).AsTask().GetAwaiter().GetResult();

    /// <summary>The per-token path alone: 1,000 tokens appended to a running answer nobody reads yet.</summary>
    [Benchmark(OperationsPerInvoke = Tokens, Description = "InMemoryAnswerLog, append only")]
    public long AppendOnly()
    {
        long id = 0;
        for (var i = 0; i < Tokens; i++)
        {
            id = _log.AppendAsync(_running, Token).Result;
        }

        return id;
    }

    private async Task<int> AppendAndReadAsync(CancellationToken cancellationToken)
    {
        var id = "m" + Interlocked.Increment(ref _answers);
        await _log.CreateAsync(new AnswerInfo(id, "s" + id, "demo", null, "Hi", Streaming: true, DateTimeOffset.UnixEpoch));
        var reader = Task.Run(async () =>
        {
            var events = new List<AnswerEvent>();
            long next = 0;
            while (await _log.ReadAsync(id, next, events, cancellationToken) == AnswerRead.Events)
            {
                next += events.Count;
                if (events[^1].IsTerminal)
                {
                    break;
                }

                events.Clear();
            }

            return (int)next;
        });
        for (var i = 0; i < Tokens; i++)
        {
            await _log.AppendAsync(id, Token);
        }

        await _log.EndAsync(id, Done, MessageStatus.Complete);
        return await reader;
    }
}
