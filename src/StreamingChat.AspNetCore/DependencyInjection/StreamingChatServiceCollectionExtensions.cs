using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StreamingChat.AspNetCore;
using StreamingChat.Core;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers StreamingChat in a web app.</summary>
public static class StreamingChatServiceCollectionExtensions
{
    /// <summary>
    /// Adds StreamingChat with its embedded defaults (in-memory stores, the offline model) and problem details that
    /// carry a stable <c>code</c>; options are bound from <paramref name="configuration"/> and validated at start-up.
    /// Returns the builder that <c>AddChatClient()</c>, <c>AddMongoStores()</c>, <c>AddRedis()</c> and
    /// <c>AddStreamingRollout()</c> extend. Pair it with <c>app.MapStreamingChat()</c>.
    /// </summary>
    public static StreamingChatBuilder AddStreamingChat(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton<StreamingChatMarker>();
        services.TryAddSingleton<StreamingChatDrain>();
        services.AddOptions<EventStreamOptions>().Bind(configuration.GetSection(EventStreamOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EventStreamOptions>, EventStreamOptionsValidator>());
        services.AddOptions<DrainOptions>().Bind(configuration.GetSection(DrainOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DrainOptions>, DrainOptionsValidator>());
        services.AddOptions<RateLimitingOptions>().Bind(configuration.GetSection(RateLimitingOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RateLimitingOptions>, RateLimitingOptionsValidator>());
        services.TryAddSingleton<ChatAdmission>();
        AddCallers(services, configuration);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, DrainOnShutdown>());
        AddTrustedProxies(services, configuration);
        services.TryAddSingleton<InstanceDirectory>();
        services.TryAddSingleton<ServiceSeries>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, InstanceReporter>());

        // The host must wait for the drain: its shutdown timeout covers the notice, the drain time and a margin to write the last events.
        services.AddOptions<HostOptions>().Configure<IOptions<DrainOptions>>((host, drain) =>
        {
            var needed = TimeSpan.FromSeconds(drain.Value.NoticeSeconds + drain.Value.TimeoutSeconds + 10);
            if (host.ShutdownTimeout < needed)
            {
                host.ShutdownTimeout = needed;
            }
        });
        services.AddHealthChecks().AddStreamingChatHealthCheck(configuration);
        services.AddProblemDetails(options =>
        {
            var previous = options.CustomizeProblemDetails;
            options.CustomizeProblemDetails = context =>
            {
                previous?.Invoke(context);

                // Every problem this service writes carries a code, also the framework's own (for example a 500 or 405).
                context.ProblemDetails.Extensions.TryAdd("code", context.ProblemDetails.Status switch
                {
                    StatusCodes.Status404NotFound => "not_found",
                    StatusCodes.Status405MethodNotAllowed => "method_not_allowed",
                    StatusCodes.Status413PayloadTooLarge => ChatErrorCodes.PayloadTooLarge,
                    StatusCodes.Status415UnsupportedMediaType => ChatErrorCodes.UnsupportedMediaType,
                    >= 400 and < 500 => ChatErrorCodes.InvalidRequest,
                    _ => ChatErrorCodes.InternalError,
                });
            };
        });
        return services.AddStreamingChatCore(configuration);
    }

    /// <summary>
    /// The proxies whose forwarded headers are believed (<see cref="TrustedProxyOptions"/>), as ASP.NET Core's
    /// <see cref="ForwardedHeadersOptions"/>: <c>UseStreamingChatForwardedHeaders()</c> applies them.
    /// </summary>
    private static void AddTrustedProxies(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TrustedProxyOptions>().Bind(configuration.GetSection(TrustedProxyOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TrustedProxyOptions>, TrustedProxyOptionsValidator>());
        services.TryAddSingleton<UntrustedForwardedHeaders>();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<TrustedProxyOptions>>((forwarded, trusted) =>
        {
            var options = trusted.Value;
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.ForwardLimit = options.ForwardLimit;
            if (options.IsConfigured)
            {
                // Exactly what is configured: the loopback defaults go (a local proxy is listed like any other).
                forwarded.KnownIPNetworks.Clear();
                forwarded.KnownProxies.Clear();
                foreach (var network in options.Networks)
                {
                    forwarded.KnownIPNetworks.Add(network);
                }

                foreach (var proxy in options.Proxies)
                {
                    forwarded.KnownProxies.Add(proxy);
                }
            }
        });
    }

    /// <summary>
    /// Who a caller is and what they own: session ownership and its keys (Data Protection, with the key ring in Redis when
    /// <c>AddRedis()</c> is used, so every instance reads every instance's keys), and the admin key as an authentication
    /// scheme with its authorization policy.
    /// </summary>
    private static void AddCallers(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SessionsOptions>().Bind(configuration.GetSection(SessionsOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SessionsOptions>, SessionsOptionsValidator>());
        services.TryAddSingleton<SessionKeys>();
        services.TryAddSingleton<SessionAccess>();
        services.TryAddSingleton<ResumeTokens>();
        services.AddDataProtection();
        services.AddOptions<KeyManagementOptions>().Configure<IServiceProvider>((keys, provider) =>
        {
            if (keys.XmlRepository is null && provider.GetService<StreamingChatRedis>() is { } redis)
            {
                keys.XmlRepository = new RedisXmlRepository(() => redis.Database, redis.Key("dataprotection-keys"));
            }
        });

        services.AddOptions<AdminOptions>().Bind(configuration.GetSection(AdminOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AdminOptions>, AdminOptionsValidator>());
        services.TryAddSingleton<AdminKeyVerifier>();
        services.TryAddSingleton<AdminFailedAttempts>();
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, AdminKeyAuthenticationHandler>(StreamingChatAdmin.AuthenticationScheme, displayName: null, _ => { });
        services.AddAuthorization(options => options.AddPolicy(StreamingChatAdmin.Policy, policy => policy
            .AddAuthenticationSchemes(StreamingChatAdmin.AuthenticationScheme)
            .RequireAuthenticatedUser()));
    }
}

/// <summary>Marks that <c>AddStreamingChat()</c> ran, so <c>MapStreamingChat()</c> can fail fast naming it.</summary>
internal sealed class StreamingChatMarker;
