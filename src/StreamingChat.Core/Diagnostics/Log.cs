using Microsoft.Extensions.Logging;

namespace StreamingChat.Core;

/// <summary>Core's log messages: event ids 1000–1999.</summary>
internal static partial class Log
{
    [LoggerMessage(1001, LogLevel.Warning, "Answer failed with {ErrorCode} (chatbot {ChatbotId}, model {Model}).")]
    public static partial void AnswerFailed(ILogger logger, string errorCode, string chatbotId, string model);

    [LoggerMessage(1002, LogLevel.Information, "Answer interrupted after {Characters} characters (chatbot {ChatbotId}): the caller left.")]
    public static partial void AnswerInterrupted(ILogger logger, string chatbotId, int characters);

    [LoggerMessage(1003, LogLevel.Warning, "Model call failed: {ErrorCode}: {Description}")]
    public static partial void UpstreamFailed(ILogger logger, string errorCode, string description, Exception exception);

    [LoggerMessage(1004, LogLevel.Error, "Storing turn {MessageId} (chatbot {ChatbotId}) failed.")]
    public static partial void PersistFailed(ILogger logger, string messageId, string chatbotId, Exception exception);
}
