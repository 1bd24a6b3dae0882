using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using StreamingChat.AspNetCore;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps StreamingChat's HTTP endpoints.</summary>
public static class StreamingChatEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the chat endpoints (<c>POST /api/chat/query/stream</c>, <c>POST /api/chat/query</c>, the session endpoints under
    /// <c>/api/chat/sessions</c>, the answer endpoints under <c>/api/chat/answers</c>, and the same answers for the
    /// front-end libraries: <c>POST /api/chat/ui</c> (the Vercel AI SDK's <c>useChat</c>) and <c>POST /api/chat/agui</c> (AG-UI)), the operator reads (<c>GET /api/metrics/streaming/summary</c>, <c>GET /api/metrics/streaming</c>,
    /// <c>GET /api/metrics/instances</c>, <c>GET /api/metrics/streaming/series</c>;
    /// behind the admin key with <c>StreamingChat:Admin:ProtectReads</c>) and the health endpoints
    /// (<c>GET /api/metrics/health/streaming</c>, <c>/healthz/live</c>, <c>/healthz/ready</c>), each set in a group of its
    /// own, so a convention on one (<c>endpoints.Chat.RequireAuthorization()</c>) never closes the probes.
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>AddStreamingChat()</c> was not called.</exception>
    public static StreamingChatEndpoints MapStreamingChat(this IEndpointRouteBuilder endpoints)
        => MapStreamingChatCore(endpoints);

    /// <summary>
    /// Maps the console in the browser under <paramref name="path"/> (default <c>/console</c>; <c>/</c> for the site's
    /// root): the chat page there and the operations page at <c>ops</c> under it, served from files embedded in this
    /// package (nothing is downloaded at run time). The pages call the API's own endpoints with the caller's session key,
    /// bearer token or admin key, under the same rules as any client. Off unless mapped; map it more than once for more
    /// paths. Returns the group, so a convention (<c>.RequireAuthorization()</c>) applies to the pages.
    /// </summary>
    public static IEndpointConventionBuilder MapStreamingChatConsole(this IEndpointRouteBuilder endpoints, string path = "/console")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!path.StartsWith('/'))
        {
            throw new ArgumentException("The console's path starts with '/'.", nameof(path));
        }

        return ConsoleEndpoints.Map(endpoints, path);
    }

    private static StreamingChatEndpoints MapStreamingChatCore(IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.ServiceProvider.GetService<StreamingChatMarker>() is null)
        {
            throw new InvalidOperationException(
                "StreamingChat's services are not registered. Call 'builder.Services.AddStreamingChat(builder.Configuration)' before 'app.MapStreamingChat()'.");
        }

        // Each handler's return type lists the responses it gives and its attributes its tag, summary and body
        // (OpenApi/Responses.cs): the OpenAPI document comes from the types. Names stay here, with the routes.
        var chat = endpoints.MapGroup("");
        chat.MapPost(ChatEndpoints.StreamPath, ChatEndpoints.Stream).WithName("StreamingChat.QueryStream").WithDisplayName("StreamingChat: stream an answer");
        chat.MapPost(ChatEndpoints.QueryPath, ChatEndpoints.Query).WithName("StreamingChat.Query").WithDisplayName("StreamingChat: answer in one piece");
        chat.MapPost(SessionEndpoints.SessionsPath, SessionEndpoints.CreateAsync).WithName("StreamingChat.CreateSession");
        chat.MapGet(SessionEndpoints.SessionPath, SessionEndpoints.GetAsync).WithName("StreamingChat.GetSession");
        chat.MapDelete(SessionEndpoints.SessionPath, SessionEndpoints.DeleteAsync).WithName("StreamingChat.DeleteSession");
        chat.MapGet(AnswerEndpoints.StreamPath, AnswerEndpoints.Stream).WithName("StreamingChat.ResumeAnswer");
        chat.MapPost(AnswerEndpoints.StopPath, AnswerEndpoints.StopAsync).WithName("StreamingChat.StopAnswer");
        chat.MapPost(ApprovalEndpoints.ApprovePath, ApprovalEndpoints.Approve).WithName("StreamingChat.AnswerApproval");
        chat.MapPost(FeedbackEndpoints.FeedbackPath, FeedbackEndpoints.PostAsync).WithName("StreamingChat.AnswerFeedback");
        chat.MapGet(AnswerEndpoints.AnswerPath, AnswerEndpoints.GetAsync).WithName("StreamingChat.GetAnswer");
        chat.MapPost(FrontEndEndpoints.UiPath, FrontEndEndpoints.Ui).WithName("StreamingChat.UiMessageStream");
        chat.MapGet(FrontEndEndpoints.UiResumePath, FrontEndEndpoints.UiResume).WithName("StreamingChat.UiMessageStreamResume");
        chat.MapPost(FrontEndEndpoints.AgUiPath, FrontEndEndpoints.AgUi).WithName("StreamingChat.AgUi");
        ((IEndpointConventionBuilder)chat).Finally(ResponseMetadata.KeepDescriptionLast);

        // The admin key's refusals come from the group's authorization, not from the handlers.
        var operations = endpoints.MapGroup("").ProtectOperatorReads();
        operations.RefusesWithoutAdminKey();
        operations.MapGet(MetricsEndpoints.SummaryPath, MetricsEndpoints.Summary).WithName("StreamingChat.MetricsSummary");
        operations.MapGet(MetricsEndpoints.DetailsPath, MetricsEndpoints.Details).WithName("StreamingChat.Metrics");
        operations.MapGet(MetricsEndpoints.InstancesPath, MetricsEndpoints.Instances).WithName("StreamingChat.Instances");
        operations.MapGet(MetricsEndpoints.SeriesPath, MetricsEndpoints.SeriesAsync).WithName("StreamingChat.MetricsSeries");

        var probes = endpoints.MapGroup("");
        var statusCodes = new Dictionary<HealthStatus, int>
        {
            [HealthStatus.Healthy] = StatusCodes.Status200OK,
            [HealthStatus.Degraded] = StatusCodes.Status200OK,
            [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
        };
        probes.MapHealthChecks("/api/metrics/health/streaming", new HealthCheckOptions { ResponseWriter = HealthResponseWriter.WriteAsync, ResultStatusCodes = statusCodes })
            .DocumentProbe(EndpointTags.Health, "Every check: streaming, and the stores, Redis and the model as configured").ReturnsJson<HealthBody>()
            .Returns(StatusCodes.Status503ServiceUnavailable, "Unhealthy (the report in the body).");
        probes.MapHealthChecks("/healthz/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(StreamingChatHealthTags.Ready), ResponseWriter = HealthResponseWriter.WriteAsync, ResultStatusCodes = statusCodes })
            .DocumentProbe(EndpointTags.Health, "Readiness: dependencies reached and not draining").ReturnsJson<HealthBody>()
            .Returns(StatusCodes.Status503ServiceUnavailable, "Not ready (the report in the body).");
        probes.MapHealthChecks("/healthz/live", new HealthCheckOptions { Predicate = _ => false, ResultStatusCodes = statusCodes })
            .DocumentProbe(EndpointTags.Health, "Liveness: the process answers").Returns(StatusCodes.Status200OK, "Healthy.");
        return new StreamingChatEndpoints(chat, operations, probes);
    }

    /// <summary>
    /// Puts <paramref name="builder"/>'s endpoints behind the admin key when <c>StreamingChat:Admin:ProtectReads</c> is true
    /// (for the application's own operator reads, such as a Prometheus <c>/metrics</c>); leaves them open otherwise.
    /// </summary>
    public static TBuilder ProtectOperatorReads<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(endpoint =>
        {
            if (endpoint.ApplicationServices.GetRequiredService<IOptions<AdminOptions>>().Value.ProtectReads)
            {
                endpoint.Metadata.Add(new Authorization.AuthorizeAttribute(StreamingChatAdmin.Policy));
            }
        });
        return builder;
    }
}

/// <summary>
/// StreamingChat's endpoints as <c>MapStreamingChat()</c> mapped them, in three groups that take conventions apart:
/// <c>app.MapStreamingChat().Chat.RequireAuthorization()</c> closes the chat and leaves the probes open.
/// </summary>
public sealed class StreamingChatEndpoints
{
    internal StreamingChatEndpoints(RouteGroupBuilder chat, RouteGroupBuilder operations, RouteGroupBuilder probes)
    {
        Chat = chat;
        Operations = operations;
        Probes = probes;
    }

    /// <summary>The chat and session endpoints (<c>/api/chat/…</c>).</summary>
    public RouteGroupBuilder Chat { get; }

    /// <summary>The operator reads (<c>/api/metrics/streaming…</c>).</summary>
    public RouteGroupBuilder Operations { get; }

    /// <summary>The health endpoints (<c>/api/metrics/health/streaming</c>, <c>/healthz/live</c>, <c>/healthz/ready</c>).</summary>
    public RouteGroupBuilder Probes { get; }
}
