using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace StreamingChat.IntegrationTests;

/// <summary>The sample host sending metrics and traces over OTLP to a local receiver when an endpoint is configured.</summary>
[Collection(SoloCollection.Name)]
public sealed class OtlpExportServerTests
{
    [Fact]
    public async Task Host_WithAnOtlpEndpoint_ExportsStreamingChatMetricsAndSpans()
    {
        var received = new ConcurrentDictionary<string, StringBuilder>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var receiver = builder.Build();
        receiver.MapPost("/v1/{signal}", async (string signal, HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var text = received.GetOrAdd(signal, _ => new StringBuilder());
            lock (text)
            {
                // Protobuf carries names as plain UTF-8: enough to see which instruments and spans arrived.
                text.Append(Encoding.UTF8.GetString(body.ToArray()));
            }

            return Results.Ok();
        });
        await receiver.StartAsync();

        await using var host = await HostInstance.StartAsync(
            $"--OTEL_EXPORTER_OTLP_ENDPOINT={receiver.Urls.First()}",
            "--OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
            "--OTEL_METRIC_EXPORT_INTERVAL=300",
            "--OTEL_BSP_SCHEDULE_DELAY=300",
            "--StreamingChat:Model:Offline:FirstTokenDelayMs=0",
            "--StreamingChat:Model:Offline:TokenIntervalMs=0");
        await host.AskAsync("Export me");

        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!(Contains("metrics", "streamingchat.streams.started") && Contains("traces", "chat.stream")))
        {
            await Task.Delay(100, patience.Token);
        }

        Assert.True(Contains("metrics", "streamingchat.stream.time_to_first_token"));
        Assert.True(Contains("metrics", "gen_ai.client.operation.duration"));

        bool Contains(string signal, string name)
        {
            if (!received.TryGetValue(signal, out var text))
            {
                return false;
            }

            lock (text)
            {
                return text.ToString().Contains(name, StringComparison.Ordinal);
            }
        }
    }
}
