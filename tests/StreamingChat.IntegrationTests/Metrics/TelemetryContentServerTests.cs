using System.Collections.Concurrent;
using System.Diagnostics;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>The model call's spans never hold prompt or answer text unless StreamingChat:Telemetry:RecordContent asks for it.</summary>
[Collection(SoloCollection.Name)]
public sealed class TelemetryContentServerTests : IAsyncLifetime
{
    private const string ContentVariable = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";
    private FakeOpenAIServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeOpenAIServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    private async Task<string> RecordedTextAsync(string question, params string[] settings)
    {
        var recorded = new ConcurrentQueue<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == StreamingChatTelemetry.ModelCallSourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                recorded.Enqueue("span " + activity.DisplayName);
                foreach (var tag in activity.TagObjects)
                {
                    recorded.Enqueue($"{tag.Key}={tag.Value}");
                }

                foreach (var e in activity.Events)
                {
                    recorded.Enqueue(e.Name + string.Concat(e.Tags.Select(t => $" {t.Key}={t.Value}")));
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        // Spans are recorded when traces are exported (or asked for); the model call's then come from UseOpenTelemetry().
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream, ["--StreamingChat:Telemetry:Traces=true", .. settings]);
        Assert.Equal("done", (await host.AskAsync(question, sessionId: Guid.NewGuid().ToString()))[^1].Type);
        return string.Join('\n', recorded);
    }

    [Fact]
    public async Task AToolRound_IsAnExecuteToolSpanNamingTheTool_WithoutItsArgumentsOrResult()
    {
        _upstream.Responder = FakeToolModel.Respond;

        var recorded = await RecordedTextAsync("What time is it?");

        Assert.Contains("span execute_tool get_time", recorded, StringComparison.Ordinal);
        Assert.Contains("gen_ai.tool.name=get_time", recorded, StringComparison.Ordinal);
        Assert.DoesNotContain("\"zone\"", recorded, StringComparison.Ordinal); // not the arguments ({"zone":"UTC"})
        Assert.DoesNotContain("\"utc\"", recorded, StringComparison.Ordinal); // nor the result ({"utc":…})
    }

    [Fact]
    public async Task ModelCallSpans_HoldNoContent_EvenWithTheGenAIEnvironmentVariableSet_UnlessTheOptionAsks()
    {
        var before = Environment.GetEnvironmentVariable(ContentVariable);
        Environment.SetEnvironmentVariable(ContentVariable, "true");
        try
        {
            var quiet = await RecordedTextAsync("quiet-question-7f3a");
            var recording = await RecordedTextAsync("recorded-question-9c2e", "--StreamingChat:Telemetry:RecordContent=true");

            Assert.Contains("gen_ai", quiet, StringComparison.Ordinal); // spans were recorded
            Assert.DoesNotContain("quiet-question-7f3a", quiet, StringComparison.Ordinal);
            Assert.DoesNotContain("Hello from the fake", quiet, StringComparison.Ordinal);
            Assert.Contains("recorded-question-9c2e", recording, StringComparison.Ordinal); // the check can see content when asked for
        }
        finally
        {
            Environment.SetEnvironmentVariable(ContentVariable, before);
        }
    }
}
