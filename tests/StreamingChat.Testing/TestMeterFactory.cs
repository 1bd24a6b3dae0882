using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using StreamingChat.Core;

namespace StreamingChat.Testing;

/// <summary>An <see cref="IMeterFactory"/> for tests that owns the meters it makes.</summary>
public sealed class TestMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    /// <summary>Metrics over a fresh factory, with a window of <paramref name="windowSeconds"/>.</summary>
    public static StreamingChatMetrics CreateMetrics(TimeProvider? time = null, int windowSeconds = 300, IMeterFactory? factory = null)
        => new(factory ?? new TestMeterFactory(), Options.Create(new MetricsOptions { WindowSeconds = windowSeconds }), time ?? TimeProvider.System);

    /// <inheritdoc/>
    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
        _meters.Add(meter);
        return meter;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var meter in _meters)
        {
            meter.Dispose();
        }
    }
}
