using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>
/// The admin key as an ASP.NET Core authentication scheme (<see cref="StreamingChatAdmin.AuthenticationScheme"/>), so an
/// endpoint states that it needs it with <c>RequireAuthorization(StreamingChatAdmin.Policy)</c> (ours, and any the
/// application maps, such as <c>/metrics</c>). The key comes in <c>X-Admin-Key</c> or <c>Authorization: Bearer</c>; the
/// identity's name is the key's name (<c>admin</c> for unnamed keys), which the audit trail records. Wrong keys are
/// logged (never the key) and counted per client address; past <see cref="AdminOptions.MaxFailedAttemptsPerMinute"/> the
/// address is refused with <c>429 rate_limited</c> for a while, right key or not. Refusals are problem details:
/// <c>401 unauthorized</c>, <c>403 admin_disabled</c> while no key is configured.
/// </summary>
internal sealed class AdminKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    AdminKeyVerifier verifier,
    AdminFailedAttempts failedAttempts)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    private const string RefusalItem = "StreamingChat.AdminRefusal";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        // Only where an endpoint asks for the admin key: when this is the application's only scheme, ASP.NET Core runs it
        // for every request, and a chat client's own bearer token is not a wrong admin key.
        if (Context.GetEndpoint()?.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy == StreamingChatAdmin.Policy) != true)
        {
            return AuthenticateResult.NoResult();
        }

        var presented = PresentedKey(Request);
        var address = ChatCallers.AddressKey(Context);
        if (await failedAttempts.IsBlockedAsync(address).ConfigureAwait(false))
        {
            Context.Items[RefusalItem] = AdminKeyResult.Unauthorized;
            Context.Items[RefusalItem + ".Throttled"] = true;
            return AuthenticateResult.Fail("Too many wrong admin keys from this address.");
        }

        var (result, name) = verifier.Verify(presented);
        Context.Items[RefusalItem] = result;
        switch (result)
        {
            case AdminKeyResult.Accepted:
                var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, name!)], Scheme.Name);
                return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
            case AdminKeyResult.Unauthorized when presented is not null:
                await failedAttempts.RecordAsync(address).ConfigureAwait(false);
                AdminLog.WrongKey(Logger, address, Request.Path.Value ?? "/");
                return AuthenticateResult.Fail("The admin key is not valid.");
            default:
                return AuthenticateResult.NoResult();
        }
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items.ContainsKey(RefusalItem + ".Throttled"))
        {
            Response.Headers.RetryAfter = failedAttempts.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return ChatProblems.Problem(StatusCodes.Status429TooManyRequests, ChatErrorCodes.RateLimited, "Too many wrong admin keys.",
                $"This address sent too many wrong admin keys; try again in {failedAttempts.RetryAfterSeconds} s.").ExecuteAsync(Context);
        }

        if (Context.Items[RefusalItem] is AdminKeyResult.Disabled)
        {
            return ChatProblems.Problem(StatusCodes.Status403Forbidden, "admin_disabled", "Admin endpoints are closed.",
                "No admin key is configured (StreamingChat:Admin:ApiKeys), so admin endpoints are closed.").ExecuteAsync(Context);
        }

        Response.Headers.WWWAuthenticate = "Bearer";
        return ChatProblems.Problem(StatusCodes.Status401Unauthorized, "unauthorized", "An admin key is needed.",
            "Send an admin key in X-Admin-Key or Authorization: Bearer.").ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
        => ChatProblems.Problem(StatusCodes.Status403Forbidden, "forbidden", "Not allowed.").ExecuteAsync(Context);

    /// <summary>The key in <c>X-Admin-Key</c>, else in <c>Authorization: Bearer</c>; null when neither is sent.</summary>
    internal static string? PresentedKey(HttpRequest request)
    {
        var header = request.Headers[StreamingChatAdmin.KeyHeader].ToString();
        if (!string.IsNullOrEmpty(header))
        {
            return header;
        }

        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && authorization.Length > 7 ? authorization[7..].Trim() : null;
    }
}

/// <summary>
/// Wrong admin keys per client address over a sliding minute, counted by every instance together: in Redis when it is
/// configured (a counter per address and ten-second segment, the last six summed), else, and while Redis cannot be reached,
/// in this process (System.Threading.RateLimiting's sliding window). Counted here rather than with a rate-limiting library:
/// a limiter takes a permit before the work, while a wrong key is known only after it, and an address that reached the limit
/// must be refused even with the right key.
/// </summary>
internal sealed class AdminFailedAttempts : IDisposable
{
    private const int SegmentSeconds = 10;
    private const int Segments = 6;
    private readonly PartitionedRateLimiter<string> _failures;
    private readonly int _limit;
    private readonly StreamingChatRedis? _redis;
    private readonly TimeProvider _time;
    private readonly ILogger<AdminFailedAttempts> _logger;

    public AdminFailedAttempts(IOptions<AdminOptions> options, IServiceProvider services, TimeProvider time, ILogger<AdminFailedAttempts> logger)
    {
        _limit = Math.Max(1, options.Value.MaxFailedAttemptsPerMinute);
        _redis = services.GetService(typeof(StreamingChatRedis)) as StreamingChatRedis;
        _time = time;
        _logger = logger;
        _failures = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetSlidingWindowLimiter(address, _ => new SlidingWindowRateLimiterOptions
        {
            PermitLimit = _limit,
            Window = TimeSpan.FromMinutes(1),
            SegmentsPerWindow = Segments,
            QueueLimit = 0,
            AutoReplenishment = true,
        }), StringComparer.Ordinal);
    }

    /// <summary>How long a blocked address is told to wait: one segment of the window.</summary>
    public int RetryAfterSeconds => SegmentSeconds;

    /// <summary>Whether the address has used up its wrong attempts for now, on every instance together.</summary>
    public async ValueTask<bool> IsBlockedAsync(string address)
    {
        if (_redis is { IsConnected: true } redis)
        {
            try
            {
                var counts = await redis.Database.StringGetAsync([.. Keys(address)]).ConfigureAwait(false);
                return counts.Sum(c => (long?)c ?? 0) >= _limit;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                LimitsLog.SharedLimitUnavailable(_logger, ex.GetType().Name);
            }
        }

        return _failures.GetStatistics(address) is { CurrentAvailablePermits: <= 0 };
    }

    /// <summary>Counts one wrong attempt.</summary>
    public async ValueTask RecordAsync(string address)
    {
        _failures.AttemptAcquire(address).Dispose();
        if (_redis is { IsConnected: true } redis)
        {
            try
            {
                var key = Keys(address)[0];
                var batch = redis.Database.CreateBatch();
                var counted = batch.StringIncrementAsync(key);
                var expiry = batch.KeyExpireAsync(key, TimeSpan.FromSeconds((Segments + 1) * SegmentSeconds));
                batch.Execute();
                await Task.WhenAll(counted, expiry).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                LimitsLog.SharedLimitUnavailable(_logger, ex.GetType().Name);
            }
        }
    }

    /// <summary>The address's counters for the current segment and the five before it, under one hash tag.</summary>
    private RedisKey[] Keys(string address)
    {
        var segment = _time.GetUtcNow().ToUnixTimeSeconds() / SegmentSeconds;
        return [.. Enumerable.Range(0, Segments).Select(i => _redis!.Key($"admin-failures:{{{address}}}:{segment - i}"))];
    }

    public void Dispose() => _failures.Dispose();
}

/// <summary>The admin key's names, for an application's own endpoints.</summary>
public static class StreamingChatAdmin
{
    /// <summary>The authentication scheme that checks admin keys.</summary>
    public const string AuthenticationScheme = "StreamingChatAdminKey";

    /// <summary>The authorization policy that needs an admin key: <c>RequireAuthorization(StreamingChatAdmin.Policy)</c>.</summary>
    public const string Policy = "StreamingChatAdmin";

    /// <summary>The header that carries the admin key (<c>Authorization: Bearer</c> works too).</summary>
    public const string KeyHeader = "X-Admin-Key";
}

/// <summary>The web package's log messages about admin keys: event ids 2300–2349. Never the key itself.</summary>
internal static partial class AdminLog
{
    [LoggerMessage(2301, LogLevel.Warning, "Admin key refused: a wrong key from {Address} for {Path}.")]
    public static partial void WrongKey(ILogger logger, string address, string path);
}
