using Microsoft.Extensions.Logging;
using StreamingChat.Core;

namespace Microsoft.Extensions.AI;

/// <summary>Adds <see cref="ErrorClassifyingChatClient"/> to a chat client pipeline.</summary>
public static class ErrorClassifyingChatClientBuilderExtensions
{
    /// <summary>
    /// Classifies every failure of a streamed call into one of the stream's error codes (see
    /// <see cref="ErrorClassifyingChatClient"/>): <paramref name="classifiers"/> first, in order, then the framework's
    /// exceptions; each failure logged once to <paramref name="logger"/>.
    /// </summary>
    public static ChatClientBuilder UseErrorClassification(this ChatClientBuilder builder, IReadOnlyList<IChatErrorClassifier> classifiers, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(classifiers);
        ArgumentNullException.ThrowIfNull(logger);
        return builder.Use(inner => new ErrorClassifyingChatClient(inner, classifiers, logger));
    }
}
