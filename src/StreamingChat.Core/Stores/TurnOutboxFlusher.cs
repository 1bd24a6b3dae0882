using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace StreamingChat.Core;

/// <summary>Writes the outbox's turns while the store is back, trying again with a growing pause while it is not.</summary>
internal sealed class TurnOutboxFlusher(TurnOutbox outbox, IOptionsMonitor<OutboxOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pause = TimeSpan.FromSeconds(options.CurrentValue.RetrySeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await outbox.WhenKeptAsync(TimeSpan.FromSeconds(options.CurrentValue.RetrySeconds), stoppingToken).ConfigureAwait(false);
                await outbox.AdoptAsync().ConfigureAwait(false);
                if (outbox.Pending == 0 || await outbox.FlushAsync(stoppingToken).ConfigureAwait(false))
                {
                    pause = TimeSpan.FromSeconds(options.CurrentValue.RetrySeconds);
                    continue;
                }

                await Task.Delay(pause, time, stoppingToken).ConfigureAwait(false);
                pause = TimeSpan.FromSeconds(Math.Min(pause.TotalSeconds * 2, options.CurrentValue.MaxRetrySeconds));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }
}

/// <summary>The outbox in health: <c>degraded</c> while turns wait for the store, with how many.</summary>
internal sealed class TurnOutboxHealthCheck(TurnOutbox outbox, IOptionsMonitor<OutboxOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var pending = outbox.Pending;
        var data = new Dictionary<string, object> { ["pendingTurns"] = pending, ["maxTurns"] = options.CurrentValue.MaxTurns };
        return Task.FromResult(pending == 0
            ? HealthCheckResult.Healthy("No turn waits for the store.", data)
            : new HealthCheckResult(
                context.Registration.FailureStatus,
                outbox.IsFull ? "The store is away and the outbox is full: new questions are refused." : $"{pending} turns wait for the store; they are written when it answers.",
                data: data));
    }
}
