using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using StreamingChat.Testing;

namespace StreamingChat.Core.Tests;

public sealed class StreamingChatMetricsTests
{
    [Fact]
    public void Instruments_RecordStreamsWithStandardTagsAndNoCallerIds()
    {
        using var factory = new TestMeterFactory();
        var metrics = TestMeterFactory.CreateMetrics(factory: factory);
        using var started = new MetricCollector<long>(factory, StreamingChatTelemetry.Name, StreamingChatTelemetry.Instruments.StreamsStarted);
        using var finished = new MetricCollector<long>(factory, StreamingChatTelemetry.Name, StreamingChatTelemetry.Instruments.StreamsFinished);
        using var active = new MetricCollector<long>(factory, StreamingChatTelemetry.Name, StreamingChatTelemetry.Instruments.StreamsActive);
        using var firstToken = new MetricCollector<double>(factory, StreamingChatTelemetry.Name, StreamingChatTelemetry.Instruments.TimeToFirstToken);
        using var duration = new MetricCollector<double>(factory, StreamingChatTelemetry.Name, StreamingChatTelemetry.Instruments.StreamDuration);
        using var tokens = new MetricCollector<long>(factory, StreamingChatTelemetry.Name, StreamingChatTelemetry.Instruments.Tokens);

        metrics.StreamStarted("demo", "gpt", streaming: true);
        metrics.StreamFinished("demo", "gpt", true, StreamOutcome.Failed, ChatErrorCodes.UpstreamTimeout, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(2), 7);

        var start = Assert.Single(started.GetMeasurementSnapshot());
        Assert.Equal(1, start.Value);
        Assert.Equal("demo", start.Tags[StreamingChatTelemetry.Tags.ChatbotId]);
        Assert.Equal("gpt", start.Tags[StreamingChatTelemetry.Tags.RequestModel]);
        Assert.Equal(true, start.Tags[StreamingChatTelemetry.Tags.Streaming]);

        var end = Assert.Single(finished.GetMeasurementSnapshot());
        Assert.Equal("failed", end.Tags[StreamingChatTelemetry.Tags.Outcome]);
        Assert.Equal(ChatErrorCodes.UpstreamTimeout, end.Tags[StreamingChatTelemetry.Tags.ErrorType]);

        Assert.Equal([1L, -1L], active.GetMeasurementSnapshot().Select(m => m.Value));
        Assert.Equal(0.25, Assert.Single(firstToken.GetMeasurementSnapshot()).Value, 6);
        Assert.Equal(2.0, Assert.Single(duration.GetMeasurementSnapshot()).Value, 6);
        Assert.Equal(7, Assert.Single(tokens.GetMeasurementSnapshot()).Value);

        var allTags = started.GetMeasurementSnapshot().Concat(finished.GetMeasurementSnapshot()).SelectMany(m => m.Tags.Keys).Distinct();
        Assert.DoesNotContain(allTags, t => t.Contains("session", StringComparison.OrdinalIgnoreCase) || t.Contains("user", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Windows_AreKeptServiceWideAndPerChatbot()
    {
        var metrics = TestMeterFactory.CreateMetrics();

        metrics.StreamStarted("a", "m", true);
        metrics.StreamStarted("b", "m", true);
        Assert.Equal(2, metrics.ActiveStreams);
        metrics.StreamFinished("a", "m", true, StreamOutcome.Succeeded, null, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(20), 3);
        metrics.StreamFinished("b", "m", true, StreamOutcome.ClientAborted, null, null, TimeSpan.FromMilliseconds(5), 0);

        Assert.Equal(0, metrics.ActiveStreams);
        Assert.Equal((2, 1, 1), (metrics.Window.Read().Requests, metrics.Window.Read().Succeeded, metrics.Window.Read().ClientAborted));
        var byChatbot = metrics.ReadByChatbot();
        Assert.Equal(["a", "b"], byChatbot.Keys);
        Assert.Equal(1, byChatbot["a"].Succeeded);
        Assert.Equal(1, byChatbot["b"].ClientAborted);
        Assert.Equal(new MetricsTotals(2, 1, 0, 1, 3), metrics.Totals);
    }
}
