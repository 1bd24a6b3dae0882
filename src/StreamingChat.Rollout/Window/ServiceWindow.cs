using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamingChat.Core;

namespace StreamingChat.Rollout;

/// <summary>The window the decision is read over: whose streams it holds, and from when.</summary>
/// <param name="Figures">The streaming cohort's figures: the streams answered token by token.</param>
/// <param name="Scope"><c>service</c> (every instance, through Redis) or <c>instance</c> (this process only).</param>
/// <param name="From">The start of the window: its length back from now, or the start of the feature's current phase if later.</param>
/// <param name="Other">The other cohort's figures (answered in one piece) over the same window; null when only this instance's whole window could be read.</param>
internal sealed record ServiceWindowReading(WindowFigures Figures, string Scope, DateTimeOffset From, WindowFigures? Other = null);

/// <summary>
/// The service-wide metrics window the rollout decision and the guard read. Each instance adds what its streams did
/// (the change in its totals since it last added) to the current interval, every second and before each read; the
/// intervals live in Redis with <c>AddRedis()</c>, else in this process. If Redis cannot be read, this instance's own
/// window answers, marked <c>instance</c>. A stream counts in the interval it was added in, so the edges of a phase
/// are as sharp as <see cref="RolloutGuardOptions.BucketSeconds"/> (one second by default). What could not be added
/// while Redis was away waits under the interval it happened in, and is added there when Redis is back, or dropped
/// once that interval has left the window: never poured into one interval.
/// </summary>
internal sealed class ServiceWindow
{
    private readonly StreamingChatMetrics _metrics;
    private readonly IWindowBuckets _buckets;
    private readonly IOptionsMonitor<RolloutOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ServiceWindow> _logger;
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private readonly SortedDictionary<long, WindowCounts> _pending = [];
    private WindowCounts _taken;

    internal ServiceWindow(StreamingChatMetrics metrics, IWindowBuckets buckets, IOptionsMonitor<RolloutOptions> options, TimeProvider time, ILogger<ServiceWindow> logger)
    {
        _metrics = metrics;
        _buckets = buckets;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>Reads the window, counting only streams from <paramref name="since"/> on when that is inside it.</summary>
    public async Task<ServiceWindowReading> ReadAsync(DateTimeOffset? since = null, CancellationToken cancellationToken = default)
    {
        var guard = _options.CurrentValue.Guard;
        var now = _time.GetUtcNow();
        var last = Bucket(now, guard.BucketSeconds);
        var first = Bucket(now.AddSeconds(-guard.WindowSeconds), guard.BucketSeconds) + 1;
        if (since is { } start)
        {
            // The interval the phase began in also holds streams of the phase before: it is left out.
            first = Math.Max(first, Bucket(start, guard.BucketSeconds) + 1);
        }

        try
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
            var counts = first > last ? default : await _buckets.SumAsync(first, last).ConfigureAwait(false);
            return new ServiceWindowReading(counts.Streaming.ToFigures(), _buckets.Shared ? "service" : "instance", DateTimeOffset.FromUnixTimeSeconds(first * guard.BucketSeconds), counts.Other.ToFigures());
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            RolloutLog.WindowUnavailable(_logger, ex);
            return new ServiceWindowReading(_metrics.ReadWindow(), "instance", now - _metrics.WindowLength);
        }
    }

    /// <summary>
    /// Adds what this instance's streams did since the last time to the current interval, and what earlier attempts could
    /// not add to the intervals it happened in (those the window still holds; older ones are dropped).
    /// </summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        await _flushing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var guard = _options.CurrentValue.Guard;
            var now = _time.GetUtcNow();
            var totals = WindowCounts.Of(_metrics);
            var delta = totals - _taken;
            _taken = totals;
            if (!delta.IsZero)
            {
                var bucket = Bucket(now, guard.BucketSeconds);
                _pending[bucket] = _pending.GetValueOrDefault(bucket) + delta;
            }

            var oldest = Bucket(now.AddSeconds(-guard.WindowSeconds), guard.BucketSeconds);
            foreach (var expired in _pending.Keys.Where(b => b <= oldest).ToList())
            {
                _pending.Remove(expired);
            }

            var lifetime = TimeSpan.FromSeconds(guard.WindowSeconds + (2 * guard.BucketSeconds));
            foreach (var (bucket, counts) in _pending.ToList())
            {
                await _buckets.AddAsync(bucket, counts, lifetime).ConfigureAwait(false);
                _pending.Remove(bucket);
            }
        }
        finally
        {
            _flushing.Release();
        }
    }

    private static long Bucket(DateTimeOffset at, int bucketSeconds) => at.ToUnixTimeSeconds() / bucketSeconds;
}
