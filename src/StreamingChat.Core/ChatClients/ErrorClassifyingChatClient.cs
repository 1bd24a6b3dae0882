using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using StreamingChat.Core;

namespace StreamingChat.Core
{
    /// <summary>
    /// Turns whatever a streamed model call throws into a <see cref="AnswerErrorException"/> with one of API.md's
    /// error codes: the provider's own classifiers first (<see cref="IChatErrorClassifier"/>, in the order added), then the
    /// framework's exceptions (<see cref="ChatErrors.FromException"/>). Each failure is logged once, here. A cancellation the
    /// caller asked for passes through untouched.
    /// </summary>
    internal sealed class ErrorClassifyingChatClient(IChatClient innerClient, IReadOnlyList<IChatErrorClassifier> classifiers, ILogger logger) : DelegatingChatClient(innerClient)
    {
        public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            IAsyncEnumerator<ChatResponseUpdate>? updates = null;
            try
            {
                while (true)
                {
                    ChatResponseUpdate update;
                    try
                    {
                        updates ??= base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
                        if (!await updates.MoveNextAsync().ConfigureAwait(false))
                        {
                            yield break;
                        }

                        update = updates.Current;
                    }
                    catch (Exception ex) when (ex is not AnswerErrorException && (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested))
                    {
                        throw new AnswerErrorException(Classify(ex), ex);
                    }

                    yield return update;
                }
            }
            finally
            {
                if (updates is not null)
                {
                    await updates.DisposeAsync().ConfigureAwait(false);
                }
            }
        }

        private AnswerError Classify(Exception exception)
        {
            foreach (var classifier in classifiers)
            {
                if (classifier.Classify(exception) is { } error)
                {
                    Log.UpstreamFailed(logger, error.Code, error.Message, exception);
                    return error;
                }
            }

            var fallback = ChatErrors.FromException(exception);
            Log.UpstreamFailed(logger, fallback.Code, fallback.Message, exception);
            return fallback;
        }
    }
}

namespace Microsoft.Extensions.AI
{
    /// <summary>Adds <see cref="ErrorClassifyingChatClient"/> to a chat client pipeline.</summary>
    internal static class ErrorClassifyingChatClientBuilderExtensions
    {
        /// <summary>Classifies every failure of a streamed call into one of the stream's error codes (see <see cref="ErrorClassifyingChatClient"/>).</summary>
        public static ChatClientBuilder UseErrorClassification(this ChatClientBuilder builder, IReadOnlyList<IChatErrorClassifier> classifiers, ILogger logger)
            => builder.Use(inner => new ErrorClassifyingChatClient(inner, classifiers, logger));
    }
}
