using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace StreamingChat.Core;

/// <summary>
/// Turns whatever a streamed model call throws into a <see cref="AnswerErrorException"/> with one of API.md's
/// error codes: the provider's own classifiers first (<see cref="IChatErrorClassifier"/>, in the order added), then the
/// framework's exceptions (<see cref="ChatErrors.FromException"/>). Each failure is logged once, here. A cancellation the
/// caller asked for passes through untouched.
/// </summary>
/// <remarks>Added with <c>UseErrorClassification()</c>; StreamingChat puts it around every answer's model call, outermost.</remarks>
public sealed class ErrorClassifyingChatClient : DelegatingChatClient
{
    private readonly IReadOnlyList<IChatErrorClassifier> _classifiers;
    private readonly ILogger _logger;

    /// <summary>Creates the client.</summary>
    /// <param name="innerClient">The model client whose streamed calls are classified.</param>
    /// <param name="classifiers">The provider's classifiers, asked in order before the framework's exceptions are.</param>
    /// <param name="logger">Where each failure is logged, once.</param>
    public ErrorClassifyingChatClient(IChatClient innerClient, IReadOnlyList<IChatErrorClassifier> classifiers, ILogger logger)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(classifiers);
        ArgumentNullException.ThrowIfNull(logger);
        _classifiers = classifiers;
        _logger = logger;
    }

    /// <inheritdoc/>
    /// <exception cref="AnswerErrorException">The call failed; <see cref="AnswerErrorException"/> carries its error code.</exception>
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
        foreach (var classifier in _classifiers)
        {
            if (classifier.Classify(exception) is { } error)
            {
                Log.UpstreamFailed(_logger, error.Code, error.Message, exception);
                return error;
            }
        }

        var fallback = ChatErrors.FromException(exception);
        Log.UpstreamFailed(_logger, fallback.Code, fallback.Message, exception);
        return fallback;
    }
}
