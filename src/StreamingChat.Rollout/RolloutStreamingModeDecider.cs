using Microsoft.FeatureManagement;
using Microsoft.FeatureManagement.FeatureFilters;
using StreamingChat.Core;

namespace StreamingChat.Rollout;

/// <summary>Fills Core's streaming-mode seam: a caller's answer is streamed when the <c>streaming</c> feature is on for their id.</summary>
internal sealed class RolloutStreamingModeDecider(IVariantFeatureManager features, StreamingChatMetrics metrics) : IStreamingModeDecider
{
    private readonly RolloutMetrics _metrics = new(metrics);

    public async ValueTask<bool> IsStreamingEnabledAsync(ChatQuery query, CancellationToken cancellationToken = default)
    {
        var enabled = await features.IsEnabledAsync(RolloutOptions.StreamingFeature, new TargetingContext { UserId = query.UserId ?? query.SessionId }, cancellationToken).ConfigureAwait(false);
        _metrics.Decision(RolloutOptions.StreamingFeature, enabled);
        return enabled;
    }
}
