using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace StreamingChat.Core;

/// <summary>
/// Keeps this instance's part of the shared answer log: renews its lease (which its kept turns' copy goes by too) every third of
/// <see cref="AnswerOptions.LeaseSeconds"/>, listens for stops asked by other instances, sweeps for running answers whose
/// producer's lease lapsed, writes again what Redis missed while it was away, and drops idle subscriptions.
/// </summary>
internal sealed class RedisAnswerLogService(RedisAnswerLog log, StreamingChatRedis redis, IOptionsMonitor<AnswerOptions> options, IConversationStore conversations, TimeProvider time, ILogger<RedisAnswerLogService> logger) : BackgroundService
{
    private bool _subscribed;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.CurrentValue.Shared && conversations is InMemoryConversationStore)
        {
            Log.ConversationsNotShared(logger);
        }

        // The lease is held before the first answer starts, so no reader ever finds an answer without a live producer.
        var bound = TimeSpan.FromMilliseconds(redis.Options.TimeoutMilliseconds);
        await ((Task)log.RenewLeaseAsync()).WaitAsync(bound, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (redis.IsConnected && options.CurrentValue.Shared)
        {
            await SubscribeAsync().WaitAsync(bound, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);

        // Stopped after the answers (hosted services stop in reverse order, and the drain ends every answer first): a lease
        // given up now tells the others at once that nothing runs here.
        if (log.Unwritten == 0)
        {
            await log.ReleaseLeaseAsync().ConfigureAwait(false);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var tick = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var period = TimeSpan.FromSeconds(options.CurrentValue.LeaseSeconds / 3);
            try
            {
                await Task.Delay(period, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (!redis.IsConnected)
            {
                continue;
            }

            try
            {
                await log.RenewLeaseAsync().ConfigureAwait(false);
                if (!options.CurrentValue.Shared)
                {
                    continue; // answers kept in memory: the lease tells only that this instance lives (its outbox is its own)
                }

                if (!_subscribed)
                {
                    await SubscribeAsync().ConfigureAwait(false);
                }

                await log.SweepAsync(stoppingToken).ConfigureAwait(false);
                if (++tick % 3 == 0)
                {
                    await log.DropIdleSubscriptionsAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Redis away: the next tick tries again; new answers are kept in memory meanwhile.
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.AnswerSweepFailed(logger, ex);
            }
        }
    }

    /// <summary>Listens for stops and erased sessions (the multiplexer subscribes again by itself after a reconnect).</summary>
    private async Task SubscribeAsync()
    {
        var subscriber = redis.Multiplexer.GetSubscriber();
        await subscriber.SubscribeAsync(log.StopChannel, (_, message) => OnStop(message.ToString())).ConfigureAwait(false);
        await subscriber.SubscribeAsync(log.EraseChannel, (_, message) => OnErased(message.ToString())).ConfigureAwait(false);
        _subscribed = true;
    }

    private void OnErased(string sessionId)
    {
        try
        {
            log.OnSessionErased(sessionId);
        }
        catch (Exception ex)
        {
            Log.AnswerSweepFailed(logger, ex);
        }
    }

    private void OnStop(string messageId) => _ = OnStopAsync(messageId);

    private async Task OnStopAsync(string messageId)
    {
        try
        {
            await log.OnStopRequestedAsync(messageId).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.AnswerSweepFailed(logger, ex);
        }
    }
}
