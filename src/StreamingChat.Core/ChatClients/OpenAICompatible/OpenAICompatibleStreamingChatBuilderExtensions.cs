using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Polly;
using StreamingChat.Core;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds <see cref="OpenAICompatibleChatClient"/> to StreamingChat.</summary>
public static class OpenAICompatibleStreamingChatBuilderExtensions
{
    // The options the application's delegate gives, read once per service provider, as the HTTP client and the chat
    // client both need them (the HTTP client's timeout on every request).
    private static readonly object OptionsKey = new();

    /// <summary>
    /// Answers with an <see cref="OpenAICompatibleChatClient"/>: streamed text from the API <paramref name="options"/>
    /// describes, read by StreamingChat's own client, and every other call (not streamed, tools, images, response formats)
    /// to the client <paramref name="fallback"/> makes, typically the OpenAI SDK's. <paramref name="configure"/> adds
    /// middleware (for example <c>UseOpenTelemetry()</c> or <c>UseModelCallMetrics()</c>) around it, as with
    /// <see cref="StreamingChatBuilder.AddChatClient"/>.
    /// </summary>
    /// <remarks>
    /// Registers the <see cref="HttpClient"/> named <see cref="OpenAICompatibleChatClient.HttpClientName"/>: a retry of 429 and
    /// 5xx (and of a failed connection) before the response starts, honouring <c>Retry-After</c>, as often as
    /// <see cref="OpenAICompatibleOptions.MaxRetries"/> says, with exponential backoff otherwise
    /// (Microsoft.Extensions.Http.Resilience), each retry logged under <c>StreamingChat.Upstream</c> (a rate limit with
    /// "rate limit" in the message); and <see cref="OpenAICompatibleOptions.NetworkTimeoutSeconds"/> as the time to the
    /// response's headers. The factory's own request logging is off for it: it would log every question's request at
    /// Information, and the retries are logged already. <paramref name="options"/> is called once per service provider.
    /// </remarks>
    public static StreamingChatBuilder AddOpenAICompatibleChatClient(
        this StreamingChatBuilder builder,
        Func<IServiceProvider, OpenAICompatibleOptions> options,
        Func<IServiceProvider, IChatClient> fallback,
        Action<ChatClientBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(fallback);
        var services = builder.Services;
        var added = services.Any(d => d.IsKeyedService && d.ServiceKey == OptionsKey);
        services.RemoveAllKeyed<OpenAICompatibleOptions>(OptionsKey);
        services.AddKeyedSingleton(OptionsKey, (sp, _) => Validated(options(sp)));
        if (!added)
        {
            AddHttpClient(services);
        }

        return builder.AddChatClient(
            sp => new OpenAICompatibleChatClient(
                fallback(sp),
                sp.GetRequiredService<IHttpClientFactory>(),
                Options(sp),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger(Log.UpstreamCategory)),
            configure);
    }

    private static void AddHttpClient(IServiceCollection services)
        => services.AddHttpClient(OpenAICompatibleChatClient.HttpClientName, (sp, http) => http.Timeout = TimeSpan.FromSeconds(Options(sp).NetworkTimeoutSeconds))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            .RemoveAllLoggers()
            .AddResilienceHandler("retry", (pipeline, context) =>
            {
                var options = Options(context.ServiceProvider);
                if (options.MaxRetries == 0)
                {
                    return;
                }

                var logger = context.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(Log.UpstreamCategory);
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = options.MaxRetries,
                    BackoffType = DelayBackoffType.Exponential,
                    Delay = TimeSpan.FromSeconds(0.8),
                    UseJitter = true,
                    ShouldRetryAfterHeader = true,
                    OnRetry = args =>
                    {
                        if (args.Outcome.Result is { StatusCode: HttpStatusCode.TooManyRequests } limited)
                        {
                            Log.UpstreamRateLimited(logger, "retrying", limited.Headers.RetryAfter?.ToString() ?? "not given");
                        }
                        else
                        {
                            Log.UpstreamRetrying(logger, args.Outcome.Result is { } result
                                ? ((int)result.StatusCode).ToString(CultureInfo.InvariantCulture)
                                : args.Outcome.Exception?.GetType().Name ?? "?");
                        }

                        return ValueTask.CompletedTask;
                    },
                });
            });

    private static OpenAICompatibleOptions Options(IServiceProvider services)
        => services.GetRequiredKeyedService<OpenAICompatibleOptions>(OptionsKey);

    private static OpenAICompatibleOptions Validated(OpenAICompatibleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);
        return options;
    }
}
