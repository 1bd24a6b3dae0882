using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StreamingChat.Core;

namespace StreamingChat.Benchmarks;

/// <summary>
/// What deciding a caller's streaming mode costs, once per question: through FeatureManagement's targeting filter fed the
/// live percentage (what the stream endpoint does). Baseline: the least a sticky decision can cost, one SHA-256 of the
/// caller's id and the feature name into a bucket.
/// </summary>
public class RolloutBucketingBenchmarks
{
    private const int Callers = 256;
    private readonly ChatQuery[] _queries = [.. Enumerable.Range(0, Callers).Select(i => new ChatQuery("hi", "demo", $"session-{i}", false, $"user-{i}"))];
    private ServiceProvider _services = null!;
    private IStreamingModeDecider _decider = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("StreamingChat:Rollout:Features:streaming:Percentage", "25")]).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddStreamingChatCore(configuration).AddStreamingRollout();
        _services = services.BuildServiceProvider();
        _decider = _services.GetRequiredService<IStreamingModeDecider>();
        await _decider.IsStreamingEnabledAsync(_queries[0]);
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Callers, Description = "SHA-256 of id + feature into a bucket")]
    public int Hash()
    {
        var on = 0;
        Span<byte> hash = stackalloc byte[32];
        foreach (var query in _queries)
        {
            SHA256.HashData(Encoding.UTF8.GetBytes((query.UserId ?? query.SessionId) + "\nstreaming"), hash);
            on += (BitConverter.ToUInt32(hash) % 100) < 25 ? 1 : 0;
        }

        return on;
    }

    [Benchmark(OperationsPerInvoke = Callers, Description = "the stream endpoint's decision (FeatureManagement targeting)")]
    public async Task<int> Decide()
    {
        var on = 0;
        foreach (var query in _queries)
        {
            on += await _decider.IsStreamingEnabledAsync(query) ? 1 : 0;
        }

        return on;
    }
}
