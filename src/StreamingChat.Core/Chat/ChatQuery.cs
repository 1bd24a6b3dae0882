namespace StreamingChat.Core;

/// <summary>A caller's question for one chatbot, as posted to the chat endpoints.</summary>
/// <param name="Query">The question.</param>
/// <param name="ChatbotId">The chatbot that answers.</param>
/// <param name="SessionId">The conversation the question belongs to; history is kept per session.</param>
/// <param name="EnableTts">Whether the caller asks for the answer spoken as well as written.</param>
/// <param name="UserId">The caller, when known: a signed-in user's id, or the id an anonymous caller gives.</param>
public sealed record ChatQuery(string Query, string ChatbotId, string SessionId, bool EnableTts = false, string? UserId = null)
{
    /// <summary>
    /// Who owns the session (<see cref="ConversationMessage.Owner"/>): stored with both turns and the only owner whose
    /// turns go into the prompt. Null when sessions have no owners (ownership <c>None</c>): then every turn of the session counts.
    /// </summary>
    public string? Owner { get; init; }

    /// <summary>The session's key, sent back to the caller in the <c>start</c> event when sessions are owned by key holders.</summary>
    public string? SessionKey { get; init; }

    /// <summary>
    /// For the continuation of an answer paused for an approval: the person's answer. The model is then asked again with
    /// the conversation, the call and this answer (the tool runs first when approved), and no question is stored.
    /// </summary>
    public ToolApproval? Approval { get; init; }
}
