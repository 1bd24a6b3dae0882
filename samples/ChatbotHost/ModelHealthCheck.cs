using System.ClientModel;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenAI;

namespace ChatbotHost;

/// <summary>
/// The <c>model</c> check: whether the model provider answers. For an OpenAI-compatible API it lists the models
/// (free, and it proves the key), at most once every 30 s. A failing provider is <c>degraded</c>, not unhealthy, and
/// is not part of readiness: every instance shares the provider, so taking one out of rotation would not help.
/// </summary>
internal sealed class ModelHealthCheck(IServiceProvider services, IOptions<ModelOptions> options, TimeProvider time) : IHealthCheck
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private HealthCheckResult? _last;
    private DateTimeOffset _lastAt;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var model = options.Value;
        if (model.EffectiveProvider != ModelOptions.OpenAIProvider)
        {
            return HealthCheckResult.Healthy("The offline model answers in process.");
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_last is { } cached && time.GetUtcNow() - _lastAt < CacheFor)
            {
                return cached;
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                await services.GetRequiredService<OpenAIClient>().GetOpenAIModelClient().GetModelsAsync(timeout.Token).ConfigureAwait(false);
                _last = HealthCheckResult.Healthy($"The model provider answers (model {model.OpenAI.Model}).");
            }
            catch (ClientResultException ex)
            {
                _last = HealthCheckResult.Degraded($"The model provider refused the check (HTTP {ex.Status}).");
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
            {
                _last = HealthCheckResult.Degraded("The model provider could not be reached.");
            }

            _lastAt = time.GetUtcNow();
            return _last.Value;
        }
        finally
        {
            _gate.Release();
        }
    }
}
