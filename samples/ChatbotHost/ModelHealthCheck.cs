using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace ChatbotHost;

/// <summary>
/// The <c>model</c> check: whether the model provider answers, as its <see cref="ModelProvider.CheckHealthAsync"/> says
/// (an OpenAI-compatible API lists its models: free, and it proves the key), at most once every 30 s. A failing provider
/// is <c>degraded</c>, not unhealthy, and is not part of readiness: every instance shares the provider, so taking one out
/// of rotation would not help.
/// </summary>
internal sealed class ModelHealthCheck(IServiceProvider services, IOptions<ModelOptions> options, TimeProvider time) : IHealthCheck
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private HealthCheckResult? _last;
    private DateTimeOffset _lastAt;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var provider = ModelProvider.Effective(options.Value)!;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_last is { } cached && time.GetUtcNow() - _lastAt < CacheFor)
            {
                return cached;
            }

            _last = await provider.CheckHealthAsync(services, cancellationToken).ConfigureAwait(false);
            _lastAt = time.GetUtcNow();
            return _last.Value;
        }
        finally
        {
            _gate.Release();
        }
    }
}
