namespace StreamingChat.Core;

/// <summary>
/// A model call that failed with one of the stream's error codes (<see cref="ChatErrorCodes"/>): what the model-call
/// middleware throws once it has classified a failure, and what the pipeline ends the answer with.
/// </summary>
public sealed class AnswerErrorException : Exception
{
    /// <summary>Creates the exception for <paramref name="error"/>, caused by <paramref name="innerException"/> when there was one.</summary>
    public AnswerErrorException(AnswerError error, Exception? innerException = null)
        : base((error ?? throw new ArgumentNullException(nameof(error))).Message, innerException)
        => Error = error;

    /// <summary>The error the answer ends with.</summary>
    public AnswerError Error { get; }
}
