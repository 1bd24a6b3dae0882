using Microsoft.Extensions.AI;

namespace StreamingChat.Core;

/// <summary>A question ready to be answered: its prompt built, its id and model chosen.</summary>
internal sealed class PreparedAnswer(ChatQuery query, ChatbotDefinition chatbot, IReadOnlyList<ChatMessage> messages, ChatOptions options, string messageId, string model, long startedTimestamp)
{
    /// <summary>The question.</summary>
    public ChatQuery Query { get; } = query;

    /// <summary>Whether the answer is spoken as well (<c>audio</c> events): the caller's <c>enableTTS</c>.</summary>
    public bool SpeakAnswer { get; } = query.EnableTts;

    /// <summary>The chatbot that answers.</summary>
    public ChatbotDefinition Chatbot { get; } = chatbot;

    /// <summary>The prompt: system prompt, recent history, then the question.</summary>
    public IReadOnlyList<ChatMessage> Messages { get; } = messages;

    /// <summary>The options passed to the model.</summary>
    public ChatOptions Options { get; } = options;

    /// <summary>The id the answer is stored under.</summary>
    public string MessageId { get; } = messageId;

    /// <summary>The model asked.</summary>
    public string Model { get; } = model;

    /// <summary>When the question arrived, as a <see cref="TimeProvider"/> timestamp.</summary>
    public long StartedTimestamp { get; } = startedTimestamp;
}
