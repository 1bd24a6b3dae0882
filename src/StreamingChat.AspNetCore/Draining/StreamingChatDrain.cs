using System.ComponentModel.DataAnnotations;

namespace StreamingChat.AspNetCore;

/// <summary>Graceful draining, bound from <c>StreamingChat:Drain</c>.</summary>
public sealed class DrainOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "StreamingChat:Drain";

    /// <summary>
    /// How long live streams may run on after SIGTERM (default 30 s); the rest then end with an <c>error</c> event of code
    /// <c>server_draining</c>, what was sent stored as interrupted. The host's shutdown timeout is raised to fit.
    /// </summary>
    [Range(0, 3600)]
    public double TimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// How long the instance keeps listening after SIGTERM, failing readiness and refusing new streams with 503
    /// <c>server_draining</c>, before it stops accepting connections (default 0): time for a load balancer that polls
    /// <c>/healthz/ready</c> to take it out.
    /// </summary>
    [Range(0, 600)]
    public double NoticeSeconds { get; set; }

    /// <summary>The <c>Retry-After</c> sent with a <c>server_draining</c> or <c>overloaded</c> refusal, in seconds (default 2).</summary>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; set; } = 2;
}

/// <summary>
/// Whether this instance is draining: shutting down, so it fails readiness and refuses new streams while live streams
/// finish, and, once the drain time is over, ends the streams still running.
/// </summary>
public sealed class StreamingChatDrain
{
    private readonly CancellationTokenSource _draining = new();
    private readonly CancellationTokenSource _deadline = new();
    private long _active;
    private TaskCompletionSource _idle = NewIdle();

    /// <summary>Whether draining has begun.</summary>
    public bool IsDraining => _draining.IsCancellationRequested;

    /// <summary>Cancelled when draining begins.</summary>
    public CancellationToken Draining => _draining.Token;

    /// <summary>Cancelled when the drain time is over: streams still running end with <c>server_draining</c>.</summary>
    public CancellationToken Deadline => _deadline.Token;

    /// <summary>Answers running now (streams and one-piece answers).</summary>
    public long ActiveAnswers => Interlocked.Read(ref _active);

    /// <summary>Begins draining (the host stopping does, through <c>DrainOnShutdown</c>); idempotent.</summary>
    internal void BeginDrain()
    {
        if (!_draining.IsCancellationRequested)
        {
            _draining.Cancel();
        }
    }

    /// <summary>Ends the answers still running (each with an <c>error</c> event of code <c>server_draining</c>); idempotent.</summary>
    internal void EndRemainingAnswers()
    {
        BeginDrain();
        if (!_deadline.IsCancellationRequested)
        {
            _deadline.Cancel();
        }
    }

    /// <summary>Counts an answer as running until the returned handle is disposed.</summary>
    internal IDisposable TrackAnswer()
    {
        lock (_draining)
        {
            if (_active++ == 0)
            {
                _idle = NewIdle();
            }
        }

        return new Tracked(this);
    }

    /// <summary>Completes when no answer is running.</summary>
    public Task WhenIdleAsync()
    {
        lock (_draining)
        {
            return _active == 0 ? Task.CompletedTask : _idle.Task;
        }
    }

    private static TaskCompletionSource NewIdle() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Release()
    {
        lock (_draining)
        {
            if (--_active == 0)
            {
                _idle.TrySetResult();
            }
        }
    }

    private sealed class Tracked(StreamingChatDrain drain) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                drain.Release();
            }
        }
    }
}
