namespace StreamingChat.Core;

/// <summary>
/// Decides, per caller, whether an answer is streamed token by token or sent in one piece. The seam the rollout
/// package fills; the default streams for everyone.
/// </summary>
public interface IStreamingModeDecider
{
    /// <summary>Whether <paramref name="query"/>'s caller gets a streamed answer.</summary>
    ValueTask<bool> IsStreamingEnabledAsync(ChatQuery query, CancellationToken cancellationToken = default);
}

/// <summary>Streams for every caller: the default <see cref="IStreamingModeDecider"/>.</summary>
internal sealed class AlwaysStreamingModeDecider : IStreamingModeDecider
{
    /// <inheritdoc/>
    public ValueTask<bool> IsStreamingEnabledAsync(ChatQuery query, CancellationToken cancellationToken = default) => new(true);
}
