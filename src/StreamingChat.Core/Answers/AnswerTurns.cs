namespace StreamingChat.Core;

/// <summary>The stored turns of an answer, as its producer and an instance that ends a lost answer both store them.</summary>
internal static class AnswerTurns
{
    /// <summary>The question's turn: the answer's id with <c>-q</c>, at the time it was asked.</summary>
    public static ConversationMessage Question(AnswerInfo info) => new()
    {
        MessageId = info.MessageId + "-q",
        SessionId = info.SessionId,
        ChatbotId = info.ChatbotId,
        Owner = info.Owner,
        Role = ConversationRole.User,
        Content = info.Question,
        CreatedAt = info.CreatedAt,
    };

    /// <summary>When the answer is stored: now, and at least a millisecond after its question (stores keep milliseconds), so history sorts by time alone.</summary>
    public static DateTimeOffset AnsweredAt(AnswerInfo info, DateTimeOffset now)
        => now >= info.CreatedAt.AddMilliseconds(1) ? now : info.CreatedAt.AddMilliseconds(1);
}
