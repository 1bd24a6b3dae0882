using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>
/// Admission for the chat endpoints, on System.Threading.RateLimiting's limiters: per caller (the signed-in user, else the
/// client address) a sliding-window limit of questions, a limit of answers running at once and an optional token budget,
/// and per session a sliding-window limit (429 with <c>Retry-After</c>), all shared by every instance through Redis when it
/// is configured (<see cref="SharedRateLimiter"/>); and a concurrency limiter with a bounded queue in front of this
/// instance's model calls (503 <c>overloaded</c> with <c>Retry-After</c>). The limiters are used directly rather than
/// through the rate-limiting middleware so that <c>MapStreamingChat()</c> works without the app adding middleware, and
/// so limits can key on the caller and on the session read from the body.
/// </summary>
internal sealed class ChatAdmission : IDisposable
{
    private readonly RateLimitingOptions _options;
    private readonly SharedRateLimiter? _perCaller;
    private readonly SharedRateLimiter? _perSession;
    private readonly HeldPermits? _answersPerUser;
    private readonly HeldPermits? _answersPerAddress;
    private readonly HeldPermits? _readersPerCaller;
    private readonly HeldPermits? _readersPerToken;
    private readonly ConcurrencyLimiter _answers;
    private readonly ILogger<ChatAdmission> _logger;

    public ChatAdmission(IOptions<RateLimitingOptions> options, IOptionsMonitor<AnswerOptions> answers, IServiceProvider services, TimeProvider time, ILogger<ChatAdmission> logger)
    {
        _options = options.Value;
        _logger = logger;
        var redis = services.GetService<StreamingChatRedis>();
        _perCaller = SharedRateLimiter.PerMinute("questions", _options.PermitsPerMinutePerClient, redis, logger);
        _perSession = SharedRateLimiter.PerMinute("session", _options.PermitsPerMinutePerSession, redis, logger);

        // Places held for as long as the work: the answers' own lease says how soon a dead instance's places are free.
        TimeSpan Lifetime() => TimeSpan.FromSeconds(answers.CurrentValue.LeaseSeconds);
        _answersPerUser = HeldPermits.Create("answers", _options.MaxConcurrentAnswersPerUser, redis, Lifetime, time, logger);
        _answersPerAddress = HeldPermits.Create("answers", _options.MaxConcurrentAnswersPerAddress, redis, Lifetime, time, logger);
        _readersPerCaller = HeldPermits.Create("readers", _options.MaxReadersPerCaller, redis, Lifetime, time, logger);
        _readersPerToken = HeldPermits.Create("token-readers", _options.MaxReadersPerResumeToken, redis, Lifetime, time, logger);
        Budget = new TokenBudget(_options.TokenBudgetPerCaller, TimeSpan.FromSeconds(_options.TokenBudgetWindowSeconds), redis, time, logger);
        _answers = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = _options.MaxConcurrentAnswers,
            QueueLimit = _options.MaxQueuedAnswers,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>The callers' token budget, charged when an answer ends.</summary>
    public TokenBudget Budget { get; }

    /// <summary>Null when the caller may ask (questions per minute, token budget); else the 429 refusal (written by the caller).</summary>
    public async ValueTask<IResult?> CheckCallerAsync(HttpContext context, ChatCaller caller)
    {
        if (_perCaller is not null)
        {
            using var lease = await _perCaller.AcquireAsync(caller.LimitKey, context.RequestAborted).ConfigureAwait(false);
            if (!lease.IsAcquired)
            {
                return RateLimited(context, lease, caller.IsSignedIn ? "user" : "client", "questions per minute");
            }
        }

        if (await Budget.ExhaustedForAsync(caller.LimitKey).ConfigureAwait(false) is { } seconds)
        {
            AdmissionLog.RateLimited(_logger, "token budget", caller.IsSignedIn ? "user" : "client", seconds);
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return ChatProblems.Problem(StatusCodes.Status429TooManyRequests, ChatErrorCodes.QuotaExceeded, "The token budget is spent.",
                $"This caller has used its {_options.TokenBudgetPerCaller} answer tokens for this window; try again in {seconds} s.");
        }

        return null;
    }

    /// <summary>Null when the session may ask; else the 429 refusal.</summary>
    public async ValueTask<IResult?> CheckSessionAsync(HttpContext context, string sessionId)
    {
        if (_perSession is null)
        {
            return null;
        }

        using var lease = await _perSession.AcquireAsync(sessionId, context.RequestAborted).ConfigureAwait(false);
        return lease.IsAcquired ? null : RateLimited(context, lease, "session", "questions per minute");
    }

    /// <summary>Forgets the session's own limit (its window in Redis), once the session is erased.</summary>
    public Task ForgetSessionAsync(string sessionId) => _perSession?.ForgetAsync(sessionId) ?? Task.CompletedTask;

    /// <summary>
    /// Takes the caller's place among their running answers (429 when they have their maximum running), then waits for one
    /// of this instance's answer slots (503 <c>overloaded</c> when the queue is full or the wait too long). The lease holds
    /// both until disposed.
    /// </summary>
    public async Task<(IDisposable? Lease, IResult? Refusal)> AdmitAsync(HttpContext context, ChatCaller caller, int retryAfterSeconds)
    {
        var callerLimit = caller.IsSignedIn ? _answersPerUser : _answersPerAddress;
        RateLimitLease? callerLease = null;
        if (callerLimit is not null)
        {
            callerLease = await callerLimit.AcquireAsync(caller.LimitKey, context.RequestAborted).ConfigureAwait(false);
            if (!callerLease.IsAcquired)
            {
                callerLease.Dispose();
                var most = caller.IsSignedIn ? _options.MaxConcurrentAnswersPerUser : _options.MaxConcurrentAnswersPerAddress;
                AdmissionLog.RateLimited(_logger, "running answers", caller.IsSignedIn ? "user" : "client", retryAfterSeconds);
                context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                return (null, ChatProblems.Problem(StatusCodes.Status429TooManyRequests, ChatErrorCodes.RateLimited, "Too many answers at once.",
                    $"This caller has {most} answers running; ask again when one has ended."));
            }
        }

        var slot = await WaitForSlotAsync(context).ConfigureAwait(false);
        if (slot is not null)
        {
            return (new Leases(callerLease, slot), null);
        }

        callerLease?.Dispose();
        if (context.RequestAborted.IsCancellationRequested)
        {
            return (null, null);
        }

        AdmissionLog.Overloaded(_logger, _options.MaxConcurrentAnswers, _options.MaxQueuedAnswers);
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return (null, ChatProblems.Problem(StatusCodes.Status503ServiceUnavailable, ChatErrorCodes.Overloaded, "The service is overloaded.",
            $"{_options.MaxConcurrentAnswers} answers are running and the queue is full; try again shortly."));
    }

    /// <summary>
    /// Takes a reader's place for the caller, and for the resume token's answer when the reader came with one
    /// (<paramref name="tokenFor"/>): 429 past either. The lease holds both until disposed.
    /// </summary>
    public async Task<(IDisposable? Lease, IResult? Refusal)> AdmitReaderAsync(HttpContext context, ChatCaller caller, string? tokenFor, int retryAfterSeconds)
    {
        RateLimitLease? callerLease = null;
        RateLimitLease? tokenLease = null;
        if (_readersPerCaller is not null)
        {
            callerLease = await _readersPerCaller.AcquireAsync(caller.LimitKey, context.RequestAborted).ConfigureAwait(false);
        }

        if (callerLease is not { IsAcquired: false } && tokenFor is not null && _readersPerToken is not null)
        {
            tokenLease = await _readersPerToken.AcquireAsync(tokenFor, context.RequestAborted).ConfigureAwait(false);
        }

        if (callerLease is { IsAcquired: false } || tokenLease is { IsAcquired: false })
        {
            callerLease?.Dispose();
            tokenLease?.Dispose();
            var (most, what) = tokenLease is { IsAcquired: false }
                ? (_options.MaxReadersPerResumeToken, "This resume token has")
                : (_options.MaxReadersPerCaller, "This caller has");
            AdmissionLog.RateLimited(_logger, "readers", caller.IsSignedIn ? "user" : "client", retryAfterSeconds);
            context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return (null, ChatProblems.Problem(StatusCodes.Status429TooManyRequests, ChatErrorCodes.RateLimited, "Too many readers at once.",
                $"{what} {most} streams open; close one first."));
        }

        return (new Leases(callerLease, tokenLease), null);
    }

    public void Dispose()
    {
        _perCaller?.Dispose();
        _perSession?.Dispose();
        _answersPerUser?.Dispose();
        _answersPerAddress?.Dispose();
        _readersPerCaller?.Dispose();
        _readersPerToken?.Dispose();
        _answers.Dispose();
    }

    /// <summary>One of this instance's answer slots; null when the queue is full, the wait too long, or the caller left.</summary>
    private async Task<RateLimitLease?> WaitForSlotAsync(HttpContext context)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        wait.CancelAfter(TimeSpan.FromSeconds(_options.QueueTimeoutSeconds));
        RateLimitLease? lease = null;
        try
        {
            lease = await _answers.AcquireAsync(1, wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Waited QueueTimeoutSeconds without a slot (refused as when the queue is full), or the caller left.
        }

        if (lease is { IsAcquired: true })
        {
            return lease;
        }

        lease?.Dispose();
        return null;
    }

    private IResult RateLimited(HttpContext context, RateLimitLease lease, string kind, string what)
    {
        var seconds = lease.TryGetMetadata(MetadataName.RetryAfter.Name, out var after) ? RetryAfterSeconds(after) : 10;
        AdmissionLog.RateLimited(_logger, what, kind, seconds);
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return ChatProblems.Problem(StatusCodes.Status429TooManyRequests, ChatErrorCodes.RateLimited, "Too many questions.", $"The {kind} limit is reached; try again in {seconds} s.");
    }

    /// <summary>The limiters say when to come back as a TimeSpan (this process's) or whole seconds (Redis's).</summary>
    private static int RetryAfterSeconds(object? after) => Math.Max(1, after switch
    {
        TimeSpan span => (int)Math.Ceiling(span.TotalSeconds),
        int seconds => seconds,
        long seconds => (int)seconds,
        _ => 10,
    });

    /// <summary>Places held together (the caller's and an answer slot, or a reader's), released together.</summary>
    private sealed class Leases(RateLimitLease? first, RateLimitLease? second) : IDisposable
    {
        public void Dispose()
        {
            second?.Dispose();
            first?.Dispose();
        }
    }
}

/// <summary>The web package's log messages about admission: event ids 2200–2209. Each says "rate limit" or "overloaded" for grep; never who the caller is.</summary>
internal static partial class AdmissionLog
{
    [LoggerMessage(2201, LogLevel.Information, "Rate limit reached ({What}): a {Kind} refused with 429 for {RetryAfterSeconds} s.")]
    public static partial void RateLimited(ILogger logger, string what, string kind, int retryAfterSeconds);

    [LoggerMessage(2202, LogLevel.Warning, "Overloaded: {MaxConcurrent} answers running and {MaxQueued} waiting; refused with 503.")]
    public static partial void Overloaded(ILogger logger, int maxConcurrent, int maxQueued);
}
