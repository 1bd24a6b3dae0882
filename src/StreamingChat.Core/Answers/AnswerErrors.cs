namespace StreamingChat.Core;

/// <summary>The errors an answer ends with for reasons of its own, not the model's.</summary>
public static class AnswerErrors
{
    /// <summary>The instance is stopping and the drain's time is over before the answer was complete.</summary>
    public static readonly AnswerError Draining = new(ChatErrorCodes.ServerDraining, "The server is restarting; ask again to get a complete answer.", Retryable: true);

    /// <summary>No reader stayed for the answer.</summary>
    public static readonly AnswerError NoReader = new(ChatErrorCodes.AnswerLost, "No reader stayed for the answer, so it was not finished; ask again.", Retryable: true);

    /// <summary>The instance producing the answer stopped before it was finished.</summary>
    public static readonly AnswerError ProducerLost = new(ChatErrorCodes.AnswerLost, "The server answering stopped before the answer was finished; ask again.", Retryable: true);
}
