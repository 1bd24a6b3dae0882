using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>One interval of <c>GET /api/metrics/streaming/series</c>.</summary>
internal sealed record SeriesPoint(DateTimeOffset At, SeriesInterval Figures);

/// <summary>
/// The streams' figures per interval, for this instance or for the service: with Redis, each instance shares its
/// intervals (one hash per interval, a field per instance, under one hash tag, kept an hour) when it reports itself,
/// and the service's figures are their sum; without Redis, or while it is away, the service is this instance.
/// </summary>
internal sealed class ServiceSeries(StreamingChatMetrics metrics, StreamingChatInstance self, IServiceProvider services)
{
    private static readonly TimeSpan Kept = TimeSpan.FromSeconds((MetricsSeries.Intervals * MetricsSeries.IntervalSeconds) + 60);

    /// <summary>The most intervals one share writes: a minute's.</summary>
    private const int MaxCatchUp = 60 / MetricsSeries.IntervalSeconds;

    /// <summary>The current interval of the last share that went through; long.MaxValue before the first.</summary>
    private long _publishedUpTo = long.MaxValue;

    private StreamingChatRedis? Redis => services.GetService<StreamingChatRedis>();

    /// <summary>The intervals of the last <paramref name="seconds"/>, oldest first, service-wide when <paramref name="service"/>.</summary>
    public async Task<IReadOnlyList<SeriesPoint>> ReadAsync(int seconds, bool service)
    {
        var series = metrics.Series;
        var last = series.CurrentIndex;
        var count = Math.Clamp((seconds + MetricsSeries.IntervalSeconds - 1) / MetricsSeries.IntervalSeconds, 1, MetricsSeries.Intervals);
        var indexes = Enumerable.Range(0, count).Select(i => last - count + 1 + i).ToArray();
        var points = indexes.Select(index => new SeriesPoint(DateTimeOffset.FromUnixTimeSeconds(index * MetricsSeries.IntervalSeconds), series.Read(index))).ToArray();
        if (!service || Redis is not { IsConnected: true } redis)
        {
            return points;
        }

        try
        {
            var batch = redis.Database.CreateBatch();
            var reads = indexes.Select(index => batch.HashGetAllAsync(Key(redis, index))).ToArray();
            batch.Execute();
            await Task.WhenAll(reads).ConfigureAwait(false);
            for (var i = 0; i < points.Length; i++)
            {
                foreach (var entry in reads[i].Result)
                {
                    // This instance's own figures are the fresher ones it holds.
                    if ((string?)entry.Name != self.InstanceId && SeriesInterval.TryParse(entry.Value, out var theirs))
                    {
                        points[i] = points[i] with { Figures = points[i].Figures.Plus(theirs) };
                    }
                }
            }

            return points;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return [.. indexes.Select(index => new SeriesPoint(DateTimeOffset.FromUnixTimeSeconds(index * MetricsSeries.IntervalSeconds), series.Read(index)))];
        }
    }

    /// <summary>
    /// Shares this instance's intervals since the last share that went through (at least the previous one, which is final
    /// now, and the current one; at most a minute's): a report that comes late on a busy machine, or after Redis was away,
    /// still shares the intervals it skipped.
    /// </summary>
    public async Task PublishAsync()
    {
        if (Redis is not { IsConnected: true } redis)
        {
            return;
        }

        var database = redis.Database;
        var current = metrics.Series.CurrentIndex;
        var from = Math.Max(Math.Min(Interlocked.Read(ref _publishedUpTo), current - 1), current - MaxCatchUp);
        var writes = new List<Task>();
        for (var index = from; index <= current; index++)
        {
            var key = Key(redis, index);
            writes.Add(database.HashSetAsync(key, self.InstanceId, metrics.Series.Read(index).ToString()));
            writes.Add(database.KeyExpireAsync(key, Kept));
        }

        await Task.WhenAll(writes).ConfigureAwait(false);
        Interlocked.Exchange(ref _publishedUpTo, current);
    }

    private static RedisKey Key(StreamingChatRedis redis, long index) => redis.Key("{series}:" + index.ToString(CultureInfo.InvariantCulture));
}
