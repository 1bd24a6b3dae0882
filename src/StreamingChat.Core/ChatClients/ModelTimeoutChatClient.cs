using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace StreamingChat.Core;

/// <summary>
/// Bounds a streamed model call: the first token within one limit, then no silence between tokens longer than
/// another (<see cref="ChatStreamOptions.FirstTokenTimeoutSeconds"/>, <see cref="ChatStreamOptions.IdleTimeoutSeconds"/>;
/// 0 turns one off). Past either, the call is cancelled (closing its connection) and fails with
/// <c>upstream_timeout</c>. A token costs a timestamp, not a timer change (its internal <c>Watchdog</c>).
/// </summary>
/// <remarks>Added with <c>UseModelTimeouts()</c>.</remarks>
public sealed class ModelTimeoutChatClient : DelegatingChatClient
{
    private readonly Func<ChatStreamOptions> _limits;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the client.</summary>
    /// <param name="innerClient">The model client whose streamed calls are bounded.</param>
    /// <param name="limits">
    /// The limits, read at each call's start (<see cref="ChatStreamOptions.FirstTokenTimeoutSeconds"/>,
    /// <see cref="ChatStreamOptions.IdleTimeoutSeconds"/>), so a changed setting applies to the next call.
    /// </param>
    /// <param name="time">The clock the limits are measured with.</param>
    /// <param name="logger">Where a call that timed out is logged.</param>
    public ModelTimeoutChatClient(IChatClient innerClient, Func<ChatStreamOptions> limits, TimeProvider time, ILogger logger)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _limits = limits;
        _time = time;
        _logger = logger;
    }

    /// <inheritdoc/>
    /// <exception cref="AnswerErrorException">The call timed out (<c>upstream_timeout</c>).</exception>
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var current = _limits();
        using var watchdog = new Watchdog(_time, Seconds(current.FirstTokenTimeoutSeconds), Seconds(current.IdleTimeoutSeconds));
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, watchdog.Token);
        var updates = base.GetStreamingResponseAsync(messages, options, bounded.Token).GetAsyncEnumerator(bounded.Token);
        try
        {
            while (true)
            {
                ChatResponseUpdate update;
                try
                {
                    if (!await updates.MoveNextAsync().ConfigureAwait(false))
                    {
                        yield break;
                    }

                    update = updates.Current;
                }
                catch (Exception ex) when (watchdog.Fired && !cancellationToken.IsCancellationRequested)
                {
                    var error = !watchdog.HadProgress
                        ? new AnswerError(ChatErrorCodes.UpstreamTimeout, $"The model sent no first token within {current.FirstTokenTimeoutSeconds} s.", Retryable: true)
                        : new AnswerError(ChatErrorCodes.UpstreamTimeout, $"The model went silent for {current.IdleTimeoutSeconds} s.", Retryable: true);
                    Log.UpstreamTimedOut(_logger, options?.ModelId ?? "default", error.Message);
                    throw new AnswerErrorException(error, ex);
                }

                if (update.Text.Length > 0)
                {
                    watchdog.Progress();
                }

                yield return update;
            }
        }
        finally
        {
            // Cancel first, then dispose: a call still in flight sees the cancellation and closes its connection.
            await bounded.CancelAsync().ConfigureAwait(false);
            await updates.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static TimeSpan Seconds(double seconds) => seconds <= 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(seconds);
}
