using System.Reflection;
using Microsoft.Extensions.Options;

namespace StreamingChat.Core;

/// <summary>Who this instance is: its id, version and start time, as metrics and health report them.</summary>
public sealed class StreamingChatInstance
{
    private readonly TimeProvider _time;

    /// <summary>Creates the instance's identity.</summary>
    public StreamingChatInstance(IOptions<MetricsOptions> options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _time = timeProvider;
        StartedAt = timeProvider.GetUtcNow();
        InstanceId = string.IsNullOrWhiteSpace(options.Value.InstanceId)
            ? $"{Environment.MachineName.ToLowerInvariant()}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}"
            : options.Value.InstanceId;
        var assembly = Assembly.GetEntryAssembly() ?? typeof(StreamingChatInstance).Assembly;
        Version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
            ?? assembly.GetName().Version?.ToString() ?? "0.0.0";
    }

    /// <summary>The instance's id.</summary>
    public string InstanceId { get; }

    /// <summary>The version of the application that runs.</summary>
    public string Version { get; }

    /// <summary>When the instance started.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>How long it has run.</summary>
    public TimeSpan Uptime => _time.GetUtcNow() - StartedAt;
}
