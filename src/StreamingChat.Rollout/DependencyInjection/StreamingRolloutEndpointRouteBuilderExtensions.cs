using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
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

        const string Tag = "Rollout";
        var group = endpoints.MapGroup("");
        group.MapGet(RolloutEndpoints.FlagsPath, RolloutEndpoints.FlagsAsync).WithName("StreamingChat.FeatureFlags").ProtectOperatorReads()
            .Describe((RequestDelegate)RolloutEndpoints.FlagsAsync, Tag, "Every feature: its percentage, version, history, guard and schedule")
            .Json<System.Text.Json.Nodes.JsonObject>(StatusCodes.Status200OK).ReadRefusals();
        group.MapPost(RolloutEndpoints.RolloutPath, RolloutEndpoints.RolloutAsync).WithName("StreamingChat.FeatureFlagRollout").RequireAuthorization(StreamingChatAdmin.Policy)
            .Describe((RequestDelegate)RolloutEndpoints.RolloutAsync, Tag, "Set a feature's percentage (admin key); 0 is the kill switch")
            .WithMetadata(new AcceptsMetadata(["application/json"], typeof(RolloutChangeBody)))
            .Json<System.Text.Json.Nodes.JsonObject>(StatusCodes.Status200OK).ChangeRefusals()
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "rollout_conflict", "schedule_active");
        group.MapGet(RolloutEndpoints.DecisionPath, RolloutEndpoints.DecisionAsync).WithName("StreamingChat.FeatureFlagDecision").ProtectOperatorReads()
            .Describe((RequestDelegate)RolloutEndpoints.DecisionAsync, Tag, "The deployment guide's decision criteria over the service-wide window")
            .Json<System.Text.Json.Nodes.JsonObject>(StatusCodes.Status200OK).ReadRefusals()
            .ProducesProblemCodes(StatusCodes.Status404NotFound, "feature_not_found");
        group.MapPost(ScheduleEndpoints.SchedulePath, ScheduleEndpoints.StartAsync).WithName("StreamingChat.ScheduleStart").RequireAuthorization(StreamingChatAdmin.Policy)
            .Describe(ScheduleEndpoints.StartAsync, Tag, "Start a schedule that advances the percentage by itself (admin key)")
            .WithMetadata(new AcceptsMetadata(["application/json"], typeof(ScheduleBody)))
            .Json<System.Text.Json.Nodes.JsonObject>(StatusCodes.Status200OK).ChangeRefusals()
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "schedule_active");
        foreach (var command in Enum.GetValues<ScheduleCommand>())
        {
            var verb = command.ToString().ToLowerInvariant();
            var handler = ScheduleEndpoints.Command(command);
            var mapped = group.MapPost($"{ScheduleEndpoints.SchedulePath}/{verb}", handler).WithName($"StreamingChat.Schedule{command}").RequireAuthorization(StreamingChatAdmin.Policy)
                .Describe(handler, Tag, $"The schedule: {verb} (admin key)")
                .Json<System.Text.Json.Nodes.JsonObject>(StatusCodes.Status200OK).ChangeRefusals()
                .ProducesProblemCodes(StatusCodes.Status409Conflict, "schedule_not_active");
            if (command == ScheduleCommand.Abort)
            {
                mapped.WithMetadata(new AcceptsMetadata(["application/json"], typeof(ScheduleAbortBody), isOptional: true));
            }
        }

        return group;
    }

    private static TBuilder Describe<TBuilder>(this TBuilder builder, Delegate handler, string tag, string summary)
        where TBuilder : IEndpointConventionBuilder
    {
        // The handler's method for the API explorer, unless the endpoint has one already (a delegate handler does).
        builder.Add(endpoint =>
        {
            if (!endpoint.Metadata.OfType<System.Reflection.MethodInfo>().Any())
            {
                endpoint.Metadata.Add(handler.Method);
            }
        });
        return builder.WithMetadata(new TagsAttribute(tag), new EndpointSummaryAttribute(summary));
    }

    private static IEndpointConventionBuilder Json<T>(this IEndpointConventionBuilder builder, int statusCode)
        => builder.WithMetadata(new ProducesResponseTypeMetadata(statusCode, typeof(T), ["application/json"]));

    private static TBuilder ReadRefusals<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
        => builder.ProducesProblemCodes(StatusCodes.Status401Unauthorized, "unauthorized").ProducesProblemCodes(StatusCodes.Status403Forbidden, "admin_disabled");

    private static TBuilder ChangeRefusals<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
        => builder.ReadRefusals()
            .ProducesProblemCodes(StatusCodes.Status400BadRequest, "invalid_request")
            .ProducesProblemCodes(StatusCodes.Status413PayloadTooLarge, "payload_too_large")
            .ProducesProblemCodes(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type")
            .ProducesProblemCodes(StatusCodes.Status503ServiceUnavailable, "rollout_store_unavailable");
}

/// <summary>A percentage to set (<c>POST /api/metrics/feature-flags/rollout</c>), for the OpenAPI document.</summary>
internal sealed record RolloutChangeBody(string Feature, int Percentage, string? Reason = null);

/// <summary>A schedule to start (<c>POST /api/metrics/feature-flags/schedule</c>), for the OpenAPI document.</summary>
internal sealed record ScheduleBody(string Feature, IReadOnlyList<int> Steps, int SoakSeconds, int MinSamples, string? Reason = null);

/// <summary>How an abort leaves the percentage (<c>POST …/schedule/abort</c>), for the OpenAPI document.</summary>
internal sealed record ScheduleAbortBody(bool KeepPercentage);
