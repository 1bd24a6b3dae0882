using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;
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
    /// Pair it with <c>app.MapStreamingRollout()</c>.
    /// </summary>
    public static StreamingChatBuilder AddStreamingRollout(this StreamingChatBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<RolloutOptions>().Bind(builder.Configuration.GetSection(RolloutOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<IRolloutStore, InMemoryRolloutStore>();
        services.TryAddSingleton<RolloutMarker>();

        // Ours goes first, so FeatureManagement's TryAdd of its configuration provider leaves it in place.
        services.AddSingleton<IFeatureDefinitionProvider, RolloutFeatureDefinitionProvider>();
        services.AddFeatureManagement();
        return builder.AddStreamingModeDecider<RolloutStreamingModeDecider>();
    }
}

/// <summary>Marks that <c>AddStreamingRollout()</c> ran.</summary>
internal sealed class RolloutMarker;
