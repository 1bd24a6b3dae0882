using Microsoft.Extensions.Logging;

namespace StreamingChat.Core;

/// <summary>Core's log messages: event ids 1000–1999.</summary>
internal static partial class Log
{
    /// <summary>The category of the model provider's retries and rate limits, as <c>AddOpenAICompatibleChatClient()</c> logs them.</summary>
    public const string UpstreamCategory = "StreamingChat.Upstream";

    [LoggerMessage(1001, LogLevel.Warning, "Answer failed with {ErrorCode} (chatbot {ChatbotId}, model {Model}).")]
    public static partial void AnswerFailed(ILogger logger, string errorCode, string chatbotId, string model);

    [LoggerMessage(1002, LogLevel.Information, "Answer interrupted after {Characters} characters (chatbot {ChatbotId}): no reader stayed.")]
    public static partial void AnswerInterrupted(ILogger logger, string chatbotId, int characters);

    [LoggerMessage(1003, LogLevel.Warning, "Model call failed: {ErrorCode}: {Description}")]
    public static partial void UpstreamFailed(ILogger logger, string errorCode, string description, Exception exception);

    [LoggerMessage(1004, LogLevel.Error, "Storing turn {MessageId} (chatbot {ChatbotId}) failed; it waits in the outbox.")]
    public static partial void PersistFailed(ILogger logger, string messageId, string chatbotId, Exception exception);

    [LoggerMessage(1101, LogLevel.Warning, "Redis connection to {EndPoint} lost ({FailureType}); serving from memory until it is back.")]
    public static partial void RedisConnectionLost(ILogger logger, string endPoint, string failureType, Exception? exception);

    [LoggerMessage(1102, LogLevel.Information, "Redis connection to {EndPoint} restored.")]
    public static partial void RedisConnectionRestored(ILogger logger, string endPoint);

    [LoggerMessage(1103, LogLevel.Warning, "Redis is not reachable at start; serving from memory and connecting in the background.")]
    public static partial void RedisUnavailableAtStart(ILogger logger);

    [LoggerMessage(1104, LogLevel.Warning, "Answers produced here could not be written to Redis; they are kept here and written when it answers.")]
    public static partial void AnswerLogBehind(ILogger logger, Exception exception);

    [LoggerMessage(1105, LogLevel.Error, "The shared answer log's upkeep failed; it runs again shortly.")]
    public static partial void AnswerSweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(1106, LogLevel.Warning, "An answer's producing instance is gone; it was ended here with {ErrorCode} after {Events} events.")]
    public static partial void AnswerProducerLost(ILogger logger, string errorCode, long events);

    [LoggerMessage(1107, LogLevel.Warning, "Took over {Count} turns that a stopped instance had kept for the store; they are written with this instance's.")]
    public static partial void OutboxAdopted(ILogger logger, int count);

    [LoggerMessage(1108, LogLevel.Warning, "A turn kept for the store could not be copied to Redis; it waits in this instance only.")]
    public static partial void OutboxCopyFailed(ILogger logger, Exception exception);

    [LoggerMessage(1110, LogLevel.Warning, "Reading chatbot {ChatbotId} through the cache failed; reading the store directly.")]
    public static partial void ChatbotCacheFailed(ILogger logger, string chatbotId, Exception exception);

    [LoggerMessage(1111, LogLevel.Warning, "Answers are shared through Redis but conversations are kept in this instance's memory: each instance answers a session with only the history it has seen itself. Configure a conversation store every instance shares (AddMongoStores()).")]
    public static partial void ConversationsNotShared(ILogger logger);

    [LoggerMessage(1007, LogLevel.Error, "Producing an answer failed (chatbot {ChatbotId}); it ends with internal_error.")]
    public static partial void AnswerProducerFailed(ILogger logger, string chatbotId, Exception exception);

    [LoggerMessage(1008, LogLevel.Warning, "The conversation store is still away; {Count} turns wait in the outbox.")]
    public static partial void OutboxWaits(ILogger logger, int count, Exception exception);

    [LoggerMessage(1009, LogLevel.Information, "The conversation store is back: {Count} waiting turns written.")]
    public static partial void OutboxFlushed(ILogger logger, int count);

    [LoggerMessage(1005, LogLevel.Warning, "The conversation history could not be read (chatbot {ChatbotId}); answering without it.")]
    public static partial void HistoryUnavailable(ILogger logger, string chatbotId, Exception exception);

    [LoggerMessage(1006, LogLevel.Warning, "Model call timed out (model {Model}): {Description}")]
    public static partial void UpstreamTimedOut(ILogger logger, string model, string description);

    // "rate limit" in the text: the deployment guide finds the provider's rate limits with grep -i "rate limit".
    [LoggerMessage(1010, LogLevel.Warning, "Upstream rate limit (429) from the model provider; {Action} (Retry-After: {RetryAfter}).")]
    public static partial void UpstreamRateLimited(ILogger logger, string action, string retryAfter);

    [LoggerMessage(1011, LogLevel.Warning, "Model provider answered {Status}; retrying before the first token.")]
    public static partial void UpstreamRetrying(ILogger logger, string status);

    [LoggerMessage(1012, LogLevel.Warning, "Chatbot {ChatbotId} names the tool {ToolName}, which no AddTool() added; it is left out of the model call.")]
    public static partial void ToolUnknown(ILogger logger, string chatbotId, string toolName);

    [LoggerMessage(1013, LogLevel.Warning, "The tool source {Source} failed for chatbot {ChatbotId}; the question is answered without its tools.")]
    public static partial void ToolSourceFailed(ILogger logger, string chatbotId, string source, Exception exception);

    [LoggerMessage(1201, LogLevel.Warning, "Speaking sentence {Seq} of an answer (chatbot {ChatbotId}) failed.")]
    public static partial void SpeechFailed(ILogger logger, string chatbotId, int seq, Exception exception);
}
