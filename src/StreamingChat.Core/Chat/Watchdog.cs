namespace StreamingChat.Core;

/// <summary>
/// Cancels when the model sends no first token within one limit, or goes silent for longer than another. A token only
/// writes a timestamp (no timer change per token); the timer, when it fires, re-arms itself for the time left.
/// </summary>
internal sealed class Watchdog : IDisposable
{
    private readonly CancellationTokenSource _cancellation = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _idle;
    private readonly ITimer? _timer;
    private long _lastProgress;
    private int _progressed;

    public Watchdog(TimeProvider time, TimeSpan firstToken, TimeSpan idle)
    {
        _time = time;
        _idle = idle;
        if (firstToken != Timeout.InfiniteTimeSpan || idle != Timeout.InfiniteTimeSpan)
        {
            _timer = time.CreateTimer(static s => ((Watchdog)s!).OnTimer(), this, firstToken, Timeout.InfiniteTimeSpan);
        }
    }

    public CancellationToken Token => _cancellation.Token;

    /// <summary>Whether a limit was passed.</summary>
    public bool Fired => _cancellation.IsCancellationRequested;

    /// <summary>Whether the first token had come when it fired.</summary>
    public bool HadProgress => Volatile.Read(ref _progressed) == 1;

    /// <summary>A token came.</summary>
    public void Progress()
    {
        Volatile.Write(ref _lastProgress, _time.GetTimestamp());
        if (_progressed == 0 && Interlocked.Exchange(ref _progressed, 1) == 0)
        {
            _timer?.Change(_idle, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _cancellation.Dispose();
    }

    private void OnTimer()
    {
        if (Volatile.Read(ref _progressed) == 0)
        {
            Cancel();
            return;
        }

        var silent = _time.GetElapsedTime(Volatile.Read(ref _lastProgress));
        if (silent >= _idle)
        {
            Cancel();
        }
        else
        {
            _timer?.Change(_idle - silent, Timeout.InfiniteTimeSpan);
        }
    }

    private void Cancel()
    {
        try
        {
            _cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The answer is over.
        }
    }
}
