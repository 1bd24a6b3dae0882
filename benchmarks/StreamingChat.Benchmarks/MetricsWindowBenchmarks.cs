using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Options;
using StreamingChat.Core;

namespace StreamingChat.Benchmarks;

/// <summary>
/// What recording one stream costs: the sliding window alone, and <see cref="StreamingChatMetrics"/> (windows plus
/// instruments nobody listens to), on one thread and with both cores recording at once. The baseline is an
/// <see cref="Interlocked"/> increment: the least any shared counter can cost.
/// </summary>
public class MetricsWindowBenchmarks
{
    private const int Streams = 1000;
    private readonly StreamingMetricsWindow _window = new(TimeSpan.FromMinutes(5), TimeProvider.System);
    private StreamingChatMetrics _metrics = null!;
    private long _counter;

    [GlobalSetup]
    public void Setup() => _metrics = new StreamingChatMetrics(new Factory(), Options.Create(new MetricsOptions()), TimeProvider.System);

    [Benchmark(Baseline = true, OperationsPerInvoke = Streams, Description = "Interlocked.Increment")]
    public void Baseline()
    {
        for (var i = 0; i < Streams; i++)
        {
            Interlocked.Increment(ref _counter);
        }
    }

    [Benchmark(OperationsPerInvoke = Streams, Description = "window: start + finish")]
    public void WindowStream()
    {
        for (var i = 0; i < Streams; i++)
        {
            _window.RecordStarted();
            _window.RecordFinished(StreamOutcome.Succeeded, null, 180, 2000, 100);
        }
    }

    [Benchmark(OperationsPerInvoke = Streams, Description = "metrics: start + finish")]
    public void MetricsStream()
    {
        for (var i = 0; i < Streams; i++)
        {
            _metrics.StreamStarted("demo", "gpt", true);
            _metrics.StreamFinished("demo", "gpt", true, StreamOutcome.Succeeded, null, TimeSpan.FromMilliseconds(180), TimeSpan.FromSeconds(2), 100);
        }
    }

    [Benchmark(OperationsPerInvoke = Streams * 2, Description = "metrics: start + finish, 2 threads")]
    public void MetricsStreamContended()
        => Parallel.For(0, 2, _ =>
        {
            for (var i = 0; i < Streams; i++)
            {
                _metrics.StreamStarted("demo", "gpt", true);
                _metrics.StreamFinished("demo", "gpt", true, StreamOutcome.Succeeded, null, TimeSpan.FromMilliseconds(180), TimeSpan.FromSeconds(2), 100);
            }
        });

    private sealed class Factory : IMeterFactory
    {
        public Meter Create(MeterOptions options) => new(options);

        public void Dispose()
        {
        }
    }
}
