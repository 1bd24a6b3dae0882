using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>Who may ask how often, and how many answers run at once; bound from <c>StreamingChat:RateLimiting</c>.</summary>
public sealed class RateLimitingOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "StreamingChat:RateLimiting";

    /// <summary>Questions a client address may ask per minute (sliding); 0 turns the limit off (default 0).</summary>
    [Range(0, 1_000_000)]
    public int PermitsPerMinutePerClient { get; set; }

    /// <summary>Questions a session may ask per minute (sliding); 0 turns the limit off (default 0).</summary>
    [Range(0, 1_000_000)]
    public int PermitsPerMinutePerSession { get; set; }

    /// <summary>Answers (model calls) running at once on this instance (default 1000).</summary>
    [Range(1, 1_000_000)]
    public int MaxConcurrentAnswers { get; set; } = 1000;

    /// <summary>Questions that may wait for a free slot; past this they are refused with 503 <c>overloaded</c> (default 100).</summary>
    [Range(0, 1_000_000)]
    public int MaxQueuedAnswers { get; set; } = 100;

    /// <summary>How long a question may wait for a free slot before it is refused with 503 <c>overloaded</c> (default 10 s).</summary>
    [Range(0.01, 3600)]
    public double QueueTimeoutSeconds { get; set; } = 10;
}

/// <summary>
/// Admission for the chat endpoints, on System.Threading.RateLimiting's limiters: a sliding-window limit per client address
/// and per session (429 <c>rate_limited</c> with <c>Retry-After</c>), and a concurrency limiter with a bounded queue in
/// front of the model (503 <c>overloaded</c> with <c>Retry-After</c> past the queue or its wait). The limiters are used
/// directly rather than through the rate-limiting middleware so that <c>MapStreamingChat()</c> works without the app
/// adding middleware, and so the session limit can key on the session id read from the body.
/// </summary>
internal sealed class ChatAdmission : IDisposable
{
    private const int Segments = 6;
    private readonly RateLimitingOptions _options;
    private readonly PartitionedRateLimiter<string>? _perClient;
    private readonly PartitionedRateLimiter<string>? _perSession;
    private readonly ConcurrencyLimiter _answers;
    private readonly ILogger<ChatAdmission> _logger;

    public ChatAdmission(IOptions<RateLimitingOptions> options, ILogger<ChatAdmission> logger)
    {
        _options = options.Value;
        _logger = logger;
        _perClient = Sliding(_options.PermitsPerMinutePerClient);
        _perSession = Sliding(_options.PermitsPerMinutePerSession);
        _answers = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = _options.MaxConcurrentAnswers,
            QueueLimit = _options.MaxQueuedAnswers,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>Null when the client may ask; else the 429 refusal (written by the caller).</summary>
    public IResult? CheckClient(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        return Check(_perClient, address, context, "client", address);
    }

    /// <summary>Null when the session may ask; else the 429 refusal.</summary>
    public IResult? CheckSession(HttpContext context, string sessionId) => Check(_perSession, sessionId, context, "session", "a session");

    /// <summary>Waits for a slot for one answer; null (and a 503 refusal) when the queue is full or the wait too long.</summary>
    public async Task<(RateLimitLease? Lease, IResult? Refusal)> AdmitAsync(HttpContext context, int retryAfterSeconds)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        wait.CancelAfter(TimeSpan.FromSeconds(_options.QueueTimeoutSeconds));
        RateLimitLease? lease = null;
        try
        {
            lease = await _answers.AcquireAsync(1, wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            // Waited QueueTimeoutSeconds without a slot: refused as when the queue is full.
        }

        if (lease is { IsAcquired: true })
        {
            return (lease, null);
        }

        lease?.Dispose();
        AdmissionLog.Overloaded(_logger, _options.MaxConcurrentAnswers, _options.MaxQueuedAnswers);
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return (null, ChatProblems.Problem(StatusCodes.Status503ServiceUnavailable, ChatErrorCodes.Overloaded, "The service is overloaded.",
            $"{_options.MaxConcurrentAnswers} answers are running and the queue is full; try again shortly."));
    }

    public void Dispose()
    {
        _perClient?.Dispose();
        _perSession?.Dispose();
        _answers.Dispose();
    }

    private IResult? Check(PartitionedRateLimiter<string>? limiter, string key, HttpContext context, string kind, string who)
    {
        if (limiter is null)
        {
            return null;
        }

        using var lease = limiter.AttemptAcquire(key);
        if (lease.IsAcquired)
        {
            return null;
        }

        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(60 / Segments);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        AdmissionLog.RateLimited(_logger, kind, who, seconds);
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return ChatProblems.Problem(StatusCodes.Status429TooManyRequests, ChatErrorCodes.RateLimited, "Too many questions.", $"The {kind} limit is reached; try again in {seconds} s.");
    }

    private static PartitionedRateLimiter<string>? Sliding(int permitsPerMinute) => permitsPerMinute <= 0
        ? null
        : PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetSlidingWindowLimiter(key, _ => new SlidingWindowRateLimiterOptions
        {
            PermitLimit = permitsPerMinute,
            Window = TimeSpan.FromMinutes(1),
            SegmentsPerWindow = Segments,
            QueueLimit = 0,
            AutoReplenishment = true,
        }), StringComparer.Ordinal);
}

/// <summary>The web package's log messages about admission: event ids 2200–2299. Each says "rate limit" or "overloaded" for grep.</summary>
internal static partial class AdmissionLog
{
    [LoggerMessage(2201, LogLevel.Information, "Rate limit reached: {Kind} {Who} refused with 429 for {RetryAfterSeconds} s.")]
    public static partial void RateLimited(ILogger logger, string kind, string who, int retryAfterSeconds);

    [LoggerMessage(2202, LogLevel.Warning, "Overloaded: {MaxConcurrent} answers running and {MaxQueued} waiting; refused with 503.")]
    public static partial void Overloaded(ILogger logger, int maxConcurrent, int maxQueued);
}
