using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using StreamingChat.AspNetCore;
using StreamingChat.Rollout;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the rollout's endpoints.</summary>
public static class StreamingRolloutEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>GET /api/metrics/feature-flags</c>, <c>POST /api/metrics/feature-flags/rollout</c> (admin key) and
    /// <c>GET /api/metrics/feature-flags/decision</c>, and the schedule's <c>POST …/schedule</c>, <c>…/schedule/pause</c>,
    /// <c>…/resume</c>, <c>…/abort</c>, <c>…/promote</c> (admin key). The GETs are operator reads: open, or behind the admin key with
    /// <c>StreamingChat:Admin:ProtectReads</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>AddStreamingRollout()</c> was not called.</exception>
    public static IEndpointConventionBuilder MapStreamingRollout(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.ServiceProvider.GetService<RolloutMarker>() is null)
        {
            throw new InvalidOperationException("The rollout's services are not registered. Call '.AddStreamingRollout()' on the builder AddStreamingChat() returns before 'app.MapStreamingRollout()'.");
        }

        var group = endpoints.MapGroup("");
        group.MapGet(RolloutEndpoints.FlagsPath, RolloutEndpoints.FlagsAsync).WithName("StreamingChat.FeatureFlags").ProtectOperatorReads();
        group.MapPost(RolloutEndpoints.RolloutPath, RolloutEndpoints.RolloutAsync).WithName("StreamingChat.FeatureFlagRollout").RequireAuthorization(StreamingChatAdmin.Policy);
        group.MapGet(RolloutEndpoints.DecisionPath, RolloutEndpoints.DecisionAsync).WithName("StreamingChat.FeatureFlagDecision").ProtectOperatorReads();
        group.MapPost(ScheduleEndpoints.SchedulePath, ScheduleEndpoints.StartAsync).WithName("StreamingChat.ScheduleStart").RequireAuthorization(StreamingChatAdmin.Policy);
        foreach (var command in Enum.GetValues<ScheduleCommand>())
        {
            var verb = command.ToString().ToLowerInvariant();
            group.MapPost($"{ScheduleEndpoints.SchedulePath}/{verb}", ScheduleEndpoints.Command(command)).WithName($"StreamingChat.Schedule{command}").RequireAuthorization(StreamingChatAdmin.Policy);
        }

        return group;
    }
}
