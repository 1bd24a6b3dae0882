using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary><c>GET /api/metrics/streaming/summary</c>, <c>GET /api/metrics/streaming</c> and <c>GET /api/metrics/instances</c>, in API.md's shapes.</summary>
internal static class MetricsEndpoints
{
    public const string SummaryPath = "/api/metrics/streaming/summary";
    public const string DetailsPath = "/api/metrics/streaming";
    public const string InstancesPath = "/api/metrics/instances";
    public const string SeriesPath = "/api/metrics/streaming/series";

    /// <summary>
    /// <c>GET /api/metrics/streaming/series?seconds=300&amp;scope=service|instance</c>: the summary's figures per interval,
    /// oldest first; <c>service</c> (the default) adds up every instance through Redis.
    /// </summary>
    [Tags(EndpointTags.Metrics)]
    [EndpointSummary("The summary's figures per interval, service-wide or for this instance")]
    public static async Task<Responses<Json<IReadOnlyList<SeriesPointBody>>, InvalidRequest>> SeriesAsync(string? seconds, string? scope, ServiceSeries series)
        => new(await SeriesCoreAsync(seconds, scope, series).ConfigureAwait(false));

    private static async Task<IResult> SeriesCoreAsync(string? seconds, string? scope, ServiceSeries series)
    {
        var span = 300;
        if (seconds is not null && (!int.TryParse(seconds, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out span) || span < MetricsSeries.IntervalSeconds || span > MetricsSeries.Intervals * MetricsSeries.IntervalSeconds))
        {
            return JsonBody.Invalid("seconds", $"The seconds must be a whole number from {MetricsSeries.IntervalSeconds} to {MetricsSeries.Intervals * MetricsSeries.IntervalSeconds}.");
        }

        if (scope is not (null or "service" or "instance"))
        {
            return JsonBody.Invalid("scope", "The scope must be service or instance.");
        }

        var points = await series.ReadAsync(span, scope != "instance").ConfigureAwait(false);
        return new SeriesResult(points);
    }

    private sealed class SeriesResult(IReadOnlyList<SeriesPoint> points) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => ChatJson.WriteResponseAsync(httpContext, json =>
        {
            json.WriteStartArray();
            foreach (var point in points)
            {
                var c = point.Figures;
                json.WriteStartObject();
                json.WriteString("at"u8, point.At);
                json.WriteNumber("requests"u8, c.Requests);
                json.WriteNumber("succeeded"u8, c.Succeeded);
                json.WriteNumber("failed"u8, c.Failed);
                json.WriteNumber("clientAborted"u8, c.ClientAborted);
                WriteMs(json, "p50FirstTokenMs"u8, c.FirstTokenPercentileMs(0.50));
                WriteMs(json, "p95FirstTokenMs"u8, c.FirstTokenPercentileMs(0.95));
                json.WriteNumber("activeStreams"u8, c.PeakActive);
                json.WriteNumber("tokens"u8, c.Tokens);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        });
    }

    /// <summary><c>GET /api/metrics/instances</c>: every live instance (all of them with Redis; this one alone without).</summary>
    [Tags(EndpointTags.Metrics)]
    [EndpointSummary("Every live instance of the service")]
    public static Responses<Json<IReadOnlyList<InstanceBody>>> Instances(InstanceDirectory directory)
        => new(context => InstancesAsync(context, directory));

    private static async Task InstancesAsync(HttpContext context, InstanceDirectory directory)
    {
        var instances = await directory.ListAsync().ConfigureAwait(false);
        await ChatJson.WriteResponseAsync(context, json =>
        {
            json.WriteStartArray();
            foreach (var instance in instances)
            {
                json.WriteStartObject();
                json.WriteString("instanceId"u8, instance.InstanceId);
                json.WriteString("startedAt"u8, instance.StartedAt);
                json.WriteBoolean("draining"u8, instance.Draining);
                json.WriteNumber("activeStreams"u8, instance.ActiveStreams);
                json.WriteString("lastSeen"u8, instance.LastSeen);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }).ConfigureAwait(false);
    }

    /// <summary><c>GET /api/metrics/streaming/summary</c>: this instance's figures over the sliding window.</summary>
    [Tags(EndpointTags.Metrics)]
    [EndpointSummary("This instance's figures over the sliding window")]
    public static Responses<Json<SummaryBody>> Summary() => new(SummaryAsync);

    private static Task SummaryAsync(HttpContext context)
    {
        var metrics = context.RequestServices.GetRequiredService<StreamingChatMetrics>();
        return ChatJson.WriteResponseAsync(context, json =>
        {
            json.WriteStartObject();
            WriteSummaryFields(json, metrics.ReadWindow(), metrics.WindowLength, metrics.ActiveStreams);
            WriteRichTotals(json, metrics.RichTotals);
            json.WriteEndObject();
        });
    }

    /// <summary><c>GET /api/metrics/streaming</c>: the summary and everything behind it.</summary>
    [Tags(EndpointTags.Metrics)]
    [EndpointSummary("The summary, totals, per chatbot, per error code, the latency histogram, the instance and the process")]
    public static Responses<Json<System.Text.Json.Nodes.JsonObject>> Details() => new(DetailsAsync);

    private static Task DetailsAsync(HttpContext context)
    {
        // Over 60 lines: writes one JSON document of API.md's shape top to bottom, its sections in the document's order.
        var services = context.RequestServices;
        var metrics = services.GetRequiredService<StreamingChatMetrics>();
        var instance = services.GetRequiredService<StreamingChatInstance>();
        var process = services.GetRequiredService<ProcessFigures>();
        var untrusted = services.GetRequiredService<UntrustedForwardedHeaders>();
        var figures = metrics.ReadWindow();
        return ChatJson.WriteResponseAsync(context, json =>
        {
            json.WriteStartObject();
            WriteSummaryFields(json, figures, metrics.WindowLength, metrics.ActiveStreams);

            var totals = metrics.Totals;
            json.WriteStartObject("totals"u8);
            json.WriteNumber("requests"u8, totals.Requests);
            json.WriteNumber("succeeded"u8, totals.Succeeded);
            json.WriteNumber("failed"u8, totals.Failed);
            json.WriteNumber("clientAborted"u8, totals.ClientAborted);
            json.WriteNumber("tokens"u8, totals.Tokens);
            json.WriteEndObject();

            json.WriteStartObject("chatbots"u8);
            foreach (var (chatbotId, chatbot) in metrics.ReadByChatbot())
            {
                json.WriteStartObject(chatbotId);
                WriteSummaryFields(json, chatbot, metrics.WindowLength, activeStreams: null);
                json.WriteEndObject();
            }

            json.WriteEndObject();

            // Ratings since this instance started, by chatbot.
            json.WriteStartObject("feedback"u8);
            foreach (var (chatbotId, (up, down)) in metrics.ReadFeedback())
            {
                json.WriteStartObject(chatbotId);
                json.WriteNumber("up"u8, up);
                json.WriteNumber("down"u8, down);
                json.WriteEndObject();
            }

            json.WriteEndObject();

            json.WriteStartObject("errorsByCode"u8);
            for (var i = 0; i < WindowFigures.ErrorCodes.Count; i++)
            {
                json.WriteNumber(WindowFigures.ErrorCodes[i], figures.ErrorsByCode[i]);
            }

            json.WriteEndObject();

            json.WriteStartArray("firstTokenHistogram"u8);
            var bounds = WindowFigures.LatencyBucketBoundsMs;
            for (var i = 0; i < figures.Histogram.Length; i++)
            {
                json.WriteStartObject();
                if (i < bounds.Count)
                {
                    json.WriteNumber("le"u8, bounds[i]);
                }
                else
                {
                    json.WriteNull("le"u8);
                }

                json.WriteNumber("count"u8, figures.Histogram[i]);
                json.WriteEndObject();
            }

            json.WriteEndArray();

            json.WriteStartObject("instance"u8);
            json.WriteString("instanceId"u8, instance.InstanceId);
            json.WriteString("version"u8, instance.Version);
            json.WriteString("startedAt"u8, instance.StartedAt);
            json.WriteNumber("uptimeSeconds"u8, Math.Round(instance.Uptime.TotalSeconds, 1));
            json.WriteEndObject();

            json.WriteStartObject("process"u8);
            json.WriteNumber("workingSetBytes"u8, ProcessFigures.WorkingSetBytes);
            json.WriteNumber("memoryLimitBytes"u8, process.MemoryLimitBytes);
            json.WriteNumber("cpuPercent"u8, Math.Round(process.CpuShare * 100, 1));
            json.WriteNumber("gcHeapBytes"u8, ProcessFigures.GcHeapBytes);
            json.WriteEndObject();

            // Forwarded headers that were not believed: a proxy missing from StreamingChat:ForwardedHeaders, or a spoof.
            json.WriteStartObject("forwardedHeaders"u8);
            json.WriteNumber("untrustedRequests"u8, untrusted.Requests);
            json.WriteStartArray("untrustedPeers"u8);
            foreach (var peer in untrusted.Peers.Order(StringComparer.Ordinal).Take(20))
            {
                json.WriteStringValue(peer);
            }

            json.WriteEndArray();
            json.WriteEndObject();

            json.WriteEndObject();
        });
    }

    /// <summary>The summary's fields (API.md), shared by the summary, the detailed view and each chatbot in it.</summary>
    /// <summary>Tool calls and reasoning since this instance started (<c>tools</c>), beside the window's figures.</summary>
    private static void WriteRichTotals(Utf8JsonWriter json, RichTotals totals)
    {
        json.WriteStartObject("tools"u8);
        json.WriteNumber("calls"u8, totals.ToolCalls);
        json.WriteNumber("failed"u8, totals.ToolFailures);
        json.WriteNumber("reasoningAnswers"u8, totals.ReasoningAnswers);
        json.WriteString("since"u8, "start"u8);
        json.WriteEndObject();
    }

    private static void WriteSummaryFields(Utf8JsonWriter json, WindowFigures figures, TimeSpan window, long? activeStreams)
    {
        json.WriteNumber("windowSeconds"u8, (long)window.TotalSeconds);
        json.WriteNumber("requests"u8, figures.Requests);
        json.WriteNumber("succeeded"u8, figures.Succeeded);
        json.WriteNumber("failed"u8, figures.Failed);
        json.WriteNumber("clientAborted"u8, figures.ClientAborted);
        json.WriteNumber("successRate"u8, Math.Round(figures.SuccessRate, 4));
        json.WriteNumber("errorRate"u8, Math.Round(figures.ErrorRate, 4));
        WriteMs(json, "avgFirstTokenMs"u8, figures.AverageFirstTokenMs);
        WriteMs(json, "p50FirstTokenMs"u8, figures.FirstTokenPercentileMs(0.50));
        WriteMs(json, "p95FirstTokenMs"u8, figures.FirstTokenPercentileMs(0.95));
        WriteMs(json, "p99FirstTokenMs"u8, figures.FirstTokenPercentileMs(0.99));
        WriteMs(json, "avgTotalMs"u8, figures.AverageTotalMs);
        if (activeStreams is { } active)
        {
            json.WriteNumber("activeStreams"u8, active);
        }

        json.WriteNumber("tokensPerSecond"u8, Math.Round(figures.TokensPerSecond, 1));
        json.WriteNumber("errorCount"u8, figures.Failed);
    }

    private static void WriteMs(Utf8JsonWriter json, ReadOnlySpan<byte> name, double? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, Math.Round(v, 1));
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
