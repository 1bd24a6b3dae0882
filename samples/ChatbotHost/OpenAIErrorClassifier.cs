using System.ClientModel;
using StreamingChat.Core;

namespace ChatbotHost;

/// <summary>Classifies the OpenAI client's failures by their HTTP status (API.md's upstream codes).</summary>
internal sealed class OpenAIErrorClassifier : IChatErrorClassifier
{
    public AnswerError? Classify(Exception exception) => exception switch
    {
        // Status 0: no response came; the inner exception says why (refused connection, timeout).
        ClientResultException { Status: 0, InnerException: { } inner } => ChatErrors.FromException(inner),
        ClientResultException result => ChatErrors.FromStatus(result.Status) ?? ChatErrors.Internal,
        _ => null,
    };
}
