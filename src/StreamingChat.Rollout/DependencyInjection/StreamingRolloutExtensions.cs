using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.FeatureManagement;
using StreamingChat.Core;
using StreamingChat.Rollout;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the streaming rollout to StreamingChat.</summary>
public static class StreamingRolloutExtensions
{
    /// <summary>
    /// Decides per caller, with a sticky percentage on Microsoft.FeatureManagement, whether answers are streamed.
    /// Starting percentages come from <c>StreamingChat:Rollout:Features:{name}:Percentage</c> (<c>streaming</c>: 100).
    /// With <c>AddRedis()</c> the state, the decision's window and the guard's lock are shared by every instance.
    /// The guard (<c>StreamingChat:Rollout:Guard:Enabled</c>) is off unless enabled. Pair it with <c>app.MapStreamingRollout()</c>.
    /// </summary>
    public static StreamingChatBuilder AddStreamingRollout(this StreamingChatBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<RolloutOptions>().Bind(builder.Configuration.GetSection(RolloutOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RolloutOptions>, RolloutOptionsAnnotationsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RolloutOptions>, RolloutOptionsValidator>());

        // Redis when AddRedis() was called (before or after this), else this process. Decided when first resolved.
        services.TryAddSingleton<IRolloutStore>(sp => sp.GetService<StreamingChatRedis>() is { } redis
            ? ActivatorUtilities.CreateInstance<RedisRolloutStore>(sp, redis)
            : ActivatorUtilities.CreateInstance<InMemoryRolloutStore>(sp));
        services.TryAddSingleton<IWindowBuckets>(sp => sp.GetService<StreamingChatRedis>() is { } redis
            ? new RedisWindowBuckets(redis)
            : new InMemoryWindowBuckets(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IGuardLock>(sp => sp.GetService<StreamingChatRedis>() is { } redis
            ? new RedisGuardLock(redis, sp.GetRequiredService<StreamingChatInstance>())
            : new InMemoryGuardLock());
        services.TryAddSingleton(sp => new ServiceWindow(
            sp.GetRequiredService<StreamingChatMetrics>(),
            sp.GetRequiredService<IWindowBuckets>(),
            sp.GetRequiredService<IOptionsMonitor<RolloutOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ServiceWindow>>()));
        services.TryAddSingleton(sp => new RolloutScheduler(
            sp.GetRequiredService<IRolloutStore>(),
            sp.GetRequiredService<StreamingChatMetrics>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<RolloutScheduler>>()));
        services.TryAddSingleton(sp => new RolloutGuard(
            sp.GetRequiredService<IRolloutStore>(),
            sp.GetRequiredService<RolloutScheduler>(),
            sp.GetRequiredService<ServiceWindow>(),
            sp.GetRequiredService<IGuardLock>(),
            sp.GetRequiredService<StreamingChatMetrics>(),
            sp.GetRequiredService<IOptionsMonitor<RolloutOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<RolloutGuard>>()));
        services.AddHostedService(sp => sp.GetRequiredService<RolloutGuard>());
        services.AddHostedService<RolloutBackgroundSync>();
        services.TryAddSingleton<RolloutMarker>();
        services.AddHttpContextAccessor();

        // Ours goes first, so FeatureManagement's TryAdd of its configuration provider leaves it in place.
        services.AddSingleton<IFeatureDefinitionProvider, RolloutFeatureDefinitionProvider>();
        services.AddFeatureManagement().WithTargeting<StreamingTargetingContextAccessor>();
        return builder.AddStreamingModeDecider<RolloutStreamingModeDecider>();
    }
}

/// <summary>Marks that <c>AddStreamingRollout()</c> ran.</summary>
internal sealed class RolloutMarker;
