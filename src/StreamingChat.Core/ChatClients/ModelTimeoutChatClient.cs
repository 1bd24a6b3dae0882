using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using StreamingChat.Core;

namespace StreamingChat.Core
{
    /// <summary>
    /// Bounds a streamed model call: the first token within one limit, then no silence between tokens longer than
    /// another (<see cref="ChatStreamOptions.FirstTokenTimeoutSeconds"/>, <see cref="ChatStreamOptions.IdleTimeoutSeconds"/>;
    /// 0 turns one off). Past either, the call is cancelled (closing its connection) and fails with
    /// <c>upstream_timeout</c>. A token costs a timestamp, not a timer change (<see cref="Watchdog"/>).
    /// </summary>
    internal sealed class ModelTimeoutChatClient(IChatClient innerClient, Func<ChatStreamOptions> limits, TimeProvider time, ILogger logger) : DelegatingChatClient(innerClient)
    {
        public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var current = limits();
            using var watchdog = new Watchdog(time, Seconds(current.FirstTokenTimeoutSeconds), Seconds(current.IdleTimeoutSeconds));
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
                        Log.UpstreamTimedOut(logger, options?.ModelId ?? "default", error.Message);
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
}

namespace Microsoft.Extensions.AI
{
    /// <summary>Adds <see cref="ModelTimeoutChatClient"/> to a chat client pipeline.</summary>
    internal static class ModelTimeoutChatClientBuilderExtensions
    {
        /// <summary>Bounds the first token and each silence of a streamed call by the limits <paramref name="limits"/> gives at the call's start.</summary>
        public static ChatClientBuilder UseModelTimeouts(this ChatClientBuilder builder, Func<ChatStreamOptions> limits, TimeProvider time, ILogger logger)
            => builder.Use(inner => new ModelTimeoutChatClient(inner, limits, time, logger));
    }
}
