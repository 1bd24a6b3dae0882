using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using StreamingChat.AspNetCore;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps StreamingChat's HTTP endpoints.</summary>
public static class StreamingChatEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>POST /api/chat/query/stream</c> (Server-Sent Events), <c>POST /api/chat/query</c> (one JSON answer), the
    /// metrics endpoints (<c>GET /api/metrics/streaming/summary</c>, <c>GET /api/metrics/streaming</c>) and the health
    /// endpoints (<c>GET /api/metrics/health/streaming</c>, <c>/healthz/live</c>, <c>/healthz/ready</c>).
    /// The returned builder applies conventions (authorization, rate limiting, CORS) to all of them.
    /// </summary>
    public static IEndpointConventionBuilder MapStreamingChat(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.ServiceProvider.GetService<StreamingChatMarker>() is null)
        {
            throw new InvalidOperationException(
                "StreamingChat's services are not registered. Call 'builder.Services.AddStreamingChat(builder.Configuration)' before 'app.MapStreamingChat()'.");
        }

        var group = endpoints.MapGroup("");
        group.MapPost(ChatEndpoints.StreamPath, ChatEndpoints.StreamAsync).WithName("StreamingChat.QueryStream").WithDisplayName("StreamingChat: stream an answer");
        group.MapPost(ChatEndpoints.QueryPath, ChatEndpoints.QueryAsync).WithName("StreamingChat.Query").WithDisplayName("StreamingChat: answer in one piece");
        group.MapGet(MetricsEndpoints.SummaryPath, MetricsEndpoints.SummaryAsync).WithName("StreamingChat.MetricsSummary");
        group.MapGet(MetricsEndpoints.DetailsPath, MetricsEndpoints.DetailsAsync).WithName("StreamingChat.Metrics");

        var statusCodes = new Dictionary<HealthStatus, int>
        {
            [HealthStatus.Healthy] = StatusCodes.Status200OK,
            [HealthStatus.Degraded] = StatusCodes.Status200OK,
            [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
        };
        group.MapHealthChecks("/api/metrics/health/streaming", new HealthCheckOptions { ResponseWriter = HealthResponseWriter.WriteAsync, ResultStatusCodes = statusCodes });
        group.MapHealthChecks("/healthz/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(StreamingChatHealthTags.Ready), ResponseWriter = HealthResponseWriter.WriteAsync, ResultStatusCodes = statusCodes });
        group.MapHealthChecks("/healthz/live", new HealthCheckOptions { Predicate = _ => false, ResultStatusCodes = statusCodes });
        return group;
    }
}
