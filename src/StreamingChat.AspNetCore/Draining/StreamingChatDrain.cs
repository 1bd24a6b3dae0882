namespace StreamingChat.AspNetCore;

/// <summary>
/// Whether this instance is draining: shutting down, so it fails readiness and health while live streams finish.
/// </summary>
public sealed class StreamingChatDrain
{
    private readonly CancellationTokenSource _draining = new();

    /// <summary>Whether draining has begun.</summary>
    public bool IsDraining => _draining.IsCancellationRequested;

    /// <summary>Cancelled when draining begins.</summary>
    public CancellationToken Draining => _draining.Token;

    /// <summary>Begins draining; idempotent.</summary>
    public void BeginDrain()
    {
        if (!_draining.IsCancellationRequested)
        {
            _draining.Cancel();
        }
    }
}
