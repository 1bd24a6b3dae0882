namespace StreamingChat.Core;

/// <summary>A caller's question for one chatbot, as posted to the chat endpoints.</summary>
/// <param name="Query">The question.</param>
/// <param name="ChatbotId">The chatbot that answers.</param>
/// <param name="SessionId">The conversation the question belongs to; history is kept per session.</param>
/// <param name="EnableTts">Whether the caller asks for the answer spoken as well as written.</param>
/// <param name="UserId">The caller, when known; the rollout bucket when present, else <paramref name="SessionId"/>.</param>
public sealed record ChatQuery(string Query, string ChatbotId, string SessionId, bool EnableTts = false, string? UserId = null)
{
    /// <summary>The id that places this caller in a rollout bucket: <see cref="UserId"/> when present, else <see cref="SessionId"/>.</summary>
    public string RolloutId => UserId ?? SessionId;
}
