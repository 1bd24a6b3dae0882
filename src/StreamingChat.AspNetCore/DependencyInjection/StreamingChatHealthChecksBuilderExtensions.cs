using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StreamingChat.AspNetCore;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>StreamingChat's health checks, for an application's own health endpoints.</summary>
public static class StreamingChatHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds the <c>streaming</c> check (tagged <see cref="StreamingChatHealthTags.Ready"/>): unhealthy while the instance
    /// drains, degraded when the last window's error rate, 95th-percentile first-token latency, open streams, CPU or memory
    /// pass <see cref="HealthOptions"/> (bound from <c>StreamingChat:Health</c> of <paramref name="configuration"/> when given).
    /// Registers the meters it reads (<c>AddStreamingChatMetrics()</c>) and the drain it watches. <c>AddStreamingChat()</c>
    /// adds it; adding it again changes nothing.
    /// </summary>
    /// <param name="builder">The application's health checks.</param>
    /// <param name="configuration">Where <c>StreamingChat:Health</c> and <c>StreamingChat:Metrics</c> are read from; null keeps the defaults.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static IHealthChecksBuilder AddStreamingChatHealthCheck(this IHealthChecksBuilder builder, IConfiguration? configuration = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(StreamingHealthCheckMarker)))
        {
            return builder; // a health check's name is registered once
        }

        services.AddSingleton<StreamingHealthCheckMarker>();
        services.AddStreamingChatMetrics(configuration);
        services.TryAddSingleton<StreamingChatDrain>();
        services.TryAddSingleton<ProcessFigures>();
        var options = services.AddOptions<HealthOptions>();
        if (configuration is not null)
        {
            options.Bind(configuration.GetSection(HealthOptions.SectionName));
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HealthOptions>, HealthOptionsValidator>());
        return builder.AddCheck<StreamingHealthCheck>("streaming", tags: [StreamingChatHealthTags.Ready]);
    }

    private sealed class StreamingHealthCheckMarker;
}
