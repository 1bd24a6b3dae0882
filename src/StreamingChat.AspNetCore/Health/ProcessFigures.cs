using Microsoft.Extensions.Options;

namespace StreamingChat.AspNetCore;

/// <summary>The process's memory and CPU, as health and the detailed metrics report them.</summary>
internal sealed class ProcessFigures
{
    private static readonly TimeSpan MinimumInterval = TimeSpan.FromSeconds(1);
    private readonly IOptionsMonitor<HealthOptions> _options;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private long _lastTimestamp;
    private TimeSpan _lastCpu;
    private double _cpuShare;

    public ProcessFigures(IOptionsMonitor<HealthOptions> options, TimeProvider timeProvider)
    {
        _options = options;
        _time = timeProvider;
        _lastTimestamp = timeProvider.GetTimestamp();
        _lastCpu = Environment.CpuUsage.TotalTime;
    }

    public static long WorkingSetBytes => Environment.WorkingSet;

    public static long GcHeapBytes => GC.GetTotalMemory(forceFullCollection: false);

    /// <summary>The configured limit, else what the runtime sees (a container's limit where there is one).</summary>
    public long MemoryLimitBytes => _options.CurrentValue.MemoryLimitBytes is > 0 and var configured ? configured : GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>CPU used by this process since the previous reading (at least a second ago), as a share of all cores.</summary>
    public double CpuShare
    {
        get
        {
            lock (_gate)
            {
                var elapsed = _time.GetElapsedTime(_lastTimestamp);
                if (elapsed >= MinimumInterval)
                {
                    var cpu = Environment.CpuUsage.TotalTime;
                    _cpuShare = Math.Clamp((cpu - _lastCpu).TotalSeconds / (elapsed.TotalSeconds * Environment.ProcessorCount), 0, 1);
                    _lastCpu = cpu;
                    _lastTimestamp = _time.GetTimestamp();
                }

                return _cpuShare;
            }
        }
    }
}
