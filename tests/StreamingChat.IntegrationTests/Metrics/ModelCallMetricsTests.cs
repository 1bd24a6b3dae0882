using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>The model call's gen_ai.* metrics the host records when no spans are exported (ModelCallMetricsChatClient).</summary>
public sealed class ModelCallMetricsTests : IDisposable
{
    private readonly TestMeterFactory _meters = new();
    private readonly MeterListener _listener = new();
    private readonly List<(string Name, double Value, Dictionary<string, object?> Tags)> _measurements = [];

    // Hosts in other tests of this process record under the same meter name: only this test's model is counted.
    private readonly string _model = "metrics-test-" + Guid.NewGuid().ToString("N");

    public ModelCallMetricsTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == StreamingChatTelemetry.ModelCallSourceName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Add(i, v, tags));
        _listener.Start();
    }

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var tagged = new Dictionary<string, object?>(tags.ToArray());
        if (!Equals(tagged.GetValueOrDefault("gen_ai.request.model"), _model))
        {
            return;
        }

        lock (_measurements)
        {
            _measurements.Add((instrument.Name, value, tagged));
        }
    }

    [Fact]
    public async Task StreamedAnswer_RecordsDurationFirstChunkAndTokens_WithTheConventionsTags()
    {
        using var client = new ModelCallMetricsChatClient(new FakeChatClient { Tokens = ["a", "b", "c"] }, _meters);

        await foreach (var _ in client.GetStreamingResponseAsync([new(ChatRole.User, "Hi")], new ChatOptions { ModelId = _model }))
        {
        }

        var duration = Assert.Single(_measurements, m => m.Name == "gen_ai.client.operation.duration");
        Assert.Equal(("chat", _model), (duration.Tags["gen_ai.operation.name"], duration.Tags["gen_ai.request.model"]));
        Assert.False(duration.Tags.ContainsKey("error.type"));
        Assert.Single(_measurements, m => m.Name == "gen_ai.client.operation.time_to_first_chunk");
        Assert.True(_measurements.Count(m => m.Name == "gen_ai.client.operation.time_per_output_chunk") >= 2);
        var tokens = _measurements.Where(m => m.Name == "gen_ai.client.token.usage").ToDictionary(m => (string)m.Tags["gen_ai.token.type"]!, m => m.Value);
        Assert.Equal(new Dictionary<string, double> { ["input"] = 12, ["output"] = 3 }, tokens);
    }

    [Fact]
    public async Task FailedAnswer_RecordsItsDurationWithTheErrorType()
    {
        using var client = new ModelCallMetricsChatClient(new FakeChatClient { FailBeforeFirstToken = new HttpRequestException("refused") }, _meters);

        await Assert.ThrowsAsync<HttpRequestException>(async () =>
        {
            await foreach (var _ in client.GetStreamingResponseAsync([new(ChatRole.User, "Hi")], new ChatOptions { ModelId = _model }))
            {
            }
        });

        var duration = Assert.Single(_measurements, m => m.Name == "gen_ai.client.operation.duration");
        Assert.Equal(typeof(HttpRequestException).FullName, duration.Tags["error.type"]);
        Assert.DoesNotContain(_measurements, m => m.Name == "gen_ai.client.token.usage");
    }

    public void Dispose()
    {
        _listener.Dispose();
        _meters.Dispose();
    }
}
