using System.Net;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using OpenAI;
using Polly;

namespace ChatbotHost.ChatCompletions;

/// <summary>The model client and the HTTP client the host's own streaming client sends with, as the host registers them.</summary>
internal static class ChatCompletionsRegistration
{
    /// <summary>
    /// The model: the OpenAI SDK's chat client, with streamed answers read by the host's own client unless
    /// <c>StreamingChat:Model:OpenAI:StreamingClient</c> is <c>Sdk</c> (ChatCompletionsStreamingClient says why).
    /// </summary>
    public static IChatClient CreateModelClient(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<ModelOptions>>().Value.OpenAI;
        var sdk = services.GetRequiredService<OpenAIClient>().GetChatClient(options.Model).AsIChatClient();
        return options.UsesDirectStreamingClient
            ? new ChatCompletionsStreamingClient(sdk, services.GetRequiredService<IHttpClientFactory>(), options, services.GetRequiredService<ILoggerFactory>().CreateLogger("ChatbotHost.Upstream"))
            : sdk;
    }

    /// <summary>
    /// The HTTP client the direct streaming client sends with: a retry of 429 and 5xx (and of a failed connection) before
    /// the response starts, honouring <c>Retry-After</c>, as often as <c>MaxRetries</c> says, with exponential backoff
    /// otherwise (Microsoft.Extensions.Http.Resilience), each retry logged as the SDK path logs it; and
    /// <c>NetworkTimeoutSeconds</c> as the time to the response's headers. The factory's own request logging is off:
    /// it would log every question's request at Information, and the retries are logged here.
    /// </summary>
    public static void AddChatCompletionsHttpClient(this IServiceCollection services)
    {
        services.AddHttpClient(ChatCompletionsStreamingClient.HttpClientName, (sp, http) =>
            http.Timeout = TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<ModelOptions>>().Value.OpenAI.NetworkTimeoutSeconds))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            .RemoveAllLoggers()
            .AddResilienceHandler("retry", (pipeline, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<IOptions<ModelOptions>>().Value.OpenAI;
                if (options.MaxRetries == 0)
                {
                    return;
                }

                var logger = context.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("ChatbotHost.Upstream");
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
                            UpstreamRetryPolicy.RateLimited(logger, "retrying", limited.Headers.RetryAfter?.ToString() ?? "not given");
                        }
                        else
                        {
                            UpstreamRetryPolicy.Retrying(logger, args.Outcome.Result is { } result
                                ? ((int)result.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture)
                                : args.Outcome.Exception?.GetType().Name ?? "?");
                        }

                        return ValueTask.CompletedTask;
                    },
                });
            });
    }
}
