using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>One instance as the directory knows it (<c>GET /api/metrics/instances</c>).</summary>
/// <param name="InstanceId">The instance's id.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="Draining">Whether it is draining.</param>
/// <param name="ActiveStreams">Answers it produces now.</param>
/// <param name="LastSeen">When it last reported itself.</param>
internal sealed record InstanceReport(string InstanceId, DateTimeOffset StartedAt, bool Draining, long ActiveStreams, DateTimeOffset LastSeen);

/// <summary>
/// The live instances: with Redis, every instance reports itself every <see cref="ReportInterval"/> (a record that expires
/// after three intervals, and its place in a set ordered by when it was seen, under one hash tag so a Redis Cluster keeps
/// them on one node), so any instance lists them all; without Redis, or while it is away, only this one.
/// </summary>
internal sealed class InstanceDirectory(StreamingChatInstance self, StreamingChatDrain drain, StreamingChatMetrics metrics, TimeProvider time, IServiceProvider services)
{
    /// <summary>How often an instance reports itself.</summary>
    public static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan Lifetime = 3 * ReportInterval;

    private StreamingChatRedis? Redis => services.GetService<StreamingChatRedis>();

    /// <summary>This instance now.</summary>
    public InstanceReport Self() => new(self.InstanceId, self.StartedAt, drain.IsDraining, metrics.ActiveStreams, time.GetUtcNow());

    /// <summary>Every live instance, this one first, then by id.</summary>
    public async Task<IReadOnlyList<InstanceReport>> ListAsync()
    {
        var me = Self();
        if (Redis is not { IsConnected: true } redis)
        {
            return [me];
        }

        try
        {
            var database = redis.Database;
            var since = (me.LastSeen - Lifetime).ToUnixTimeMilliseconds();
            var ids = await database.SortedSetRangeByScoreAsync(SetKey(redis), since, double.PositiveInfinity).ConfigureAwait(false);
            var others = ids.Select(id => (string)id!).Where(id => id != me.InstanceId).Order(StringComparer.Ordinal).ToArray();
            var records = others.Length == 0 ? [] : await database.StringGetAsync([.. others.Select(id => RecordKey(redis, id))]).ConfigureAwait(false);
            var list = new List<InstanceReport> { me };
            foreach (var record in records)
            {
                if (!record.IsNullOrEmpty && JsonSerializer.Deserialize<InstanceReport>((string)record!, JsonSerializerOptions.Web) is { } report)
                {
                    list.Add(report);
                }
            }

            return list;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return [me];
        }
    }

    /// <summary>Reports this instance to Redis, and forgets instances not seen for three intervals.</summary>
    public async Task ReportAsync()
    {
        if (Redis is not { IsConnected: true } redis)
        {
            return;
        }

        var me = Self();
        var database = redis.Database;
        var now = me.LastSeen.ToUnixTimeMilliseconds();
        await Task.WhenAll(
            database.StringSetAsync(RecordKey(redis, me.InstanceId), JsonSerializer.Serialize(me, JsonSerializerOptions.Web), Lifetime),
            database.SortedSetAddAsync(SetKey(redis), me.InstanceId, now),
            database.SortedSetRemoveRangeByScoreAsync(SetKey(redis), double.NegativeInfinity, now - Lifetime.TotalMilliseconds, Exclude.Stop)).ConfigureAwait(false);
    }

    /// <summary>Takes this instance out of the directory (it is stopping).</summary>
    public async Task RemoveAsync()
    {
        if (Redis is not { IsConnected: true } redis)
        {
            return;
        }

        var database = redis.Database;
        await Task.WhenAll(
            database.KeyDeleteAsync(RecordKey(redis, self.InstanceId)),
            database.SortedSetRemoveAsync(SetKey(redis), self.InstanceId)).ConfigureAwait(false);
    }

    private static RedisKey SetKey(StreamingChatRedis redis) => redis.Key("{instances}");

    private static RedisKey RecordKey(StreamingChatRedis redis, string instanceId) => redis.Key("{instances}:" + instanceId);
}

/// <summary>
/// Reports this instance to the directory (at start, every interval, at once when draining begins, and out when it
/// stops) and shares its figures per interval for the service's series.
/// </summary>
internal sealed class InstanceReporter(InstanceDirectory directory, ServiceSeries series, StreamingChatDrain drain, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var draining = drain.Draining.Register(() => _ = ReportQuietlyAsync());
        using var timer = new PeriodicTimer(InstanceDirectory.ReportInterval, time);
        do
        {
            await ReportQuietlyAsync().ConfigureAwait(false);
        }
        while (await WaitAsync(timer, stoppingToken).ConfigureAwait(false));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await directory.RemoveAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Its record expires by itself.
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task ReportQuietlyAsync()
    {
        try
        {
            await directory.ReportAsync().ConfigureAwait(false);
            await series.PublishAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Redis away: the directory lists this instance alone meanwhile, and the next report puts it back.
        }
    }
}
