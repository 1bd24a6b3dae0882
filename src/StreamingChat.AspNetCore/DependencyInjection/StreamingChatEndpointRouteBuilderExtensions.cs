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

        const string Chat = "Chat", Answers = "Answers", Sessions = "Sessions", FrontEnds = "Front-end protocols", Metrics = "Metrics", Health = "Health";
        const string Events = "start, token…, audio (when asked for), then exactly one of done or error; ids from 0, heartbeats as comment lines";
        var chat = endpoints.MapGroup("");
        chat.MapPost(ChatEndpoints.StreamPath, ChatEndpoints.StreamAsync).WithName("StreamingChat.QueryStream").WithDisplayName("StreamingChat: stream an answer")
            .Document(ChatEndpoints.StreamAsync, Chat, "Ask a question; the answer streams as Server-Sent Events")
            .AcceptsJson<ChatQueryBody>().ProducesEventStream(Events).RefusesQuestions();
        chat.MapPost(ChatEndpoints.QueryPath, ChatEndpoints.QueryAsync).WithName("StreamingChat.Query").WithDisplayName("StreamingChat: answer in one piece")
            .Document(ChatEndpoints.QueryAsync, Chat, "Ask a question; the whole answer as one JSON document")
            .AcceptsJson<ChatQueryBody>().ReturnsJson<ChatAnswerBody>().RefusesQuestions()
            .ProducesProblemCodes(StatusCodes.Status500InternalServerError, "internal_error", "answer_lost")
            .ProducesProblemCodes(StatusCodes.Status502BadGateway, "upstream_rate_limited", "upstream_unavailable")
            .ProducesProblemCodes(StatusCodes.Status504GatewayTimeout, "upstream_timeout");
        chat.MapPost(SessionEndpoints.SessionsPath, SessionEndpoints.CreateAsync).WithName("StreamingChat.CreateSession")
            .Document(SessionEndpoints.CreateAsync, Sessions, "Start an empty session owned by the caller")
            .AcceptsJson<SessionCreateBody>(optional: true).ReturnsJson<SessionCreatedBody>(StatusCodes.Status201Created)
            .ProducesProblemCodes(StatusCodes.Status400BadRequest, "invalid_request")
            .ProducesProblemCodes(StatusCodes.Status401Unauthorized, "unauthorized")
            .ProducesProblemCodes(StatusCodes.Status409Conflict, "session_exists")
            .ProducesProblemCodes(StatusCodes.Status413PayloadTooLarge, "payload_too_large")
            .ProducesProblemCodes(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type")
            .ProducesProblemCodes(StatusCodes.Status429TooManyRequests, "rate_limited");
        chat.MapGet(SessionEndpoints.SessionPath, SessionEndpoints.GetAsync).WithName("StreamingChat.GetSession")
            .Document(SessionEndpoints.GetAsync, Sessions, "The owner's view of a session, newest turn last")
            .ReturnsJson<SessionBody>()
            .ProducesProblemCodes(StatusCodes.Status400BadRequest, "invalid_request")
            .ProducesProblemCodes(StatusCodes.Status401Unauthorized, "unauthorized")
            .ProducesProblemCodes(StatusCodes.Status404NotFound, "session_not_found");
        chat.MapDelete(SessionEndpoints.SessionPath, SessionEndpoints.DeleteAsync).WithName("StreamingChat.DeleteSession")
            .Document(SessionEndpoints.DeleteAsync, Sessions, "Delete a session's turns everywhere they are stored")
            .Returns(StatusCodes.Status204NoContent, "Deleted; a running answer was stopped first.")
            .ProducesProblemCodes(StatusCodes.Status401Unauthorized, "unauthorized")
            .ProducesProblemCodes(StatusCodes.Status404NotFound, "session_not_found");
        chat.MapGet(AnswerEndpoints.StreamPath, AnswerEndpoints.StreamAsync).WithName("StreamingChat.ResumeAnswer")
            .Document(AnswerEndpoints.StreamAsync, Answers, "Resume an answer after Last-Event-ID (header or lastEventId), with a resumeToken or as the session's owner")
            .ProducesEventStream(Events).Returns(StatusCodes.Status204NoContent, "The caller has the terminal event already.")
            .ProducesProblemCodes(StatusCodes.Status404NotFound, "answer_not_found");
        chat.MapPost(AnswerEndpoints.StopPath, AnswerEndpoints.StopAsync).WithName("StreamingChat.StopAnswer")
            .Document(AnswerEndpoints.StopAsync, Answers, "Stop a running answer; what it said is stored as stopped before this answers")
            .ReturnsJson<StopBody>().ProducesProblemCodes(StatusCodes.Status404NotFound, "answer_not_found");
        chat.MapGet(AnswerEndpoints.AnswerPath, AnswerEndpoints.GetAsync).WithName("StreamingChat.GetAnswer")
            .Document(AnswerEndpoints.GetAsync, Answers, "An answer's status and text")
            .ReturnsJson<AnswerBody>().ProducesProblemCodes(StatusCodes.Status404NotFound, "answer_not_found");
        chat.MapPost(FrontEndEndpoints.UiPath, FrontEndEndpoints.UiAsync).WithName("StreamingChat.UiMessageStream")
            .Document(FrontEndEndpoints.UiAsync, FrontEnds, "The Vercel AI SDK's useChat: the answer as a UI message stream")
            .AcceptsJson<UiMessagesBody>().ProducesEventStream("UI message stream v1 parts (start, text-delta…, finish or error), then [DONE]").RefusesQuestions();
        chat.MapGet(FrontEndEndpoints.UiResumePath, FrontEndEndpoints.UiResumeAsync).WithName("StreamingChat.UiMessageStreamResume")
            .Document(FrontEndEndpoints.UiResumeAsync, FrontEnds, "useChat({ resume: true }): the session's running answer from its start")
            .ProducesEventStream("UI message stream v1 parts").Returns(StatusCodes.Status204NoContent, "No answer of the session runs.")
            .ProducesProblemCodes(StatusCodes.Status404NotFound, "session_not_found");
        chat.MapPost(FrontEndEndpoints.AgUiPath, FrontEndEndpoints.AgUiAsync).WithName("StreamingChat.AgUi")
            .Document(FrontEndEndpoints.AgUiAsync, FrontEnds, "AG-UI's HttpAgent: RunAgentInput in, AG-UI events out")
            .AcceptsJson<AgUiRunBody>().ProducesEventStream("RUN_STARTED, TEXT_MESSAGE_START, TEXT_MESSAGE_CONTENT…, TEXT_MESSAGE_END, then RUN_FINISHED or RUN_ERROR").RefusesQuestions();

        var operations = endpoints.MapGroup("").ProtectOperatorReads();
        operations.MapGet(MetricsEndpoints.SummaryPath, MetricsEndpoints.SummaryAsync).WithName("StreamingChat.MetricsSummary")
            .Document((RequestDelegate)MetricsEndpoints.SummaryAsync, Metrics, "This instance's figures over the sliding window")
            .ReturnsJson<SummaryBody>().RefusesWithoutAdminKey();
        operations.MapGet(MetricsEndpoints.DetailsPath, MetricsEndpoints.DetailsAsync).WithName("StreamingChat.Metrics")
            .Document((RequestDelegate)MetricsEndpoints.DetailsAsync, Metrics, "The summary, totals, per chatbot, per error code, the latency histogram, the instance and the process")
            .ReturnsJson<System.Text.Json.Nodes.JsonObject>().RefusesWithoutAdminKey();
        operations.MapGet(MetricsEndpoints.InstancesPath, MetricsEndpoints.InstancesAsync).WithName("StreamingChat.Instances")
            .Document(MetricsEndpoints.InstancesAsync, Metrics, "Every live instance of the service")
            .ReturnsJson<IReadOnlyList<InstanceBody>>().RefusesWithoutAdminKey();
        operations.MapGet(MetricsEndpoints.SeriesPath, MetricsEndpoints.SeriesAsync).WithName("StreamingChat.MetricsSeries")
            .Document(MetricsEndpoints.SeriesAsync, Metrics, "The summary's figures per interval, service-wide or for this instance")
            .ReturnsJson<IReadOnlyList<SeriesPointBody>>().ProducesProblemCodes(StatusCodes.Status400BadRequest, "invalid_request").RefusesWithoutAdminKey();

        var probes = endpoints.MapGroup("");
        var statusCodes = new Dictionary<HealthStatus, int>
        {
            [HealthStatus.Healthy] = StatusCodes.Status200OK,
            [HealthStatus.Degraded] = StatusCodes.Status200OK,
            [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
        };
        probes.MapHealthChecks("/api/metrics/health/streaming", new HealthCheckOptions { ResponseWriter = HealthResponseWriter.WriteAsync, ResultStatusCodes = statusCodes })
            .DocumentProbe(Health, "Every check: streaming, and the stores, Redis and the model as configured").ReturnsJson<HealthBody>()
            .Returns(StatusCodes.Status503ServiceUnavailable, "Unhealthy (the report in the body).");
        probes.MapHealthChecks("/healthz/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(StreamingChatHealthTags.Ready), ResponseWriter = HealthResponseWriter.WriteAsync, ResultStatusCodes = statusCodes })
            .DocumentProbe(Health, "Readiness: dependencies reached and not draining").ReturnsJson<HealthBody>()
            .Returns(StatusCodes.Status503ServiceUnavailable, "Not ready (the report in the body).");
        probes.MapHealthChecks("/healthz/live", new HealthCheckOptions { Predicate = _ => false, ResultStatusCodes = statusCodes })
            .DocumentProbe(Health, "Liveness: the process answers").Returns(StatusCodes.Status200OK, "Healthy.");
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
