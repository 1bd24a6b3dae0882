using Microsoft.Extensions.AI;

namespace StreamingChat.Core;

/// <summary>A question ready to be answered: its chatbot found, its prompt built. Made by <see cref="ChatPipeline.PrepareAsync"/>.</summary>
public sealed class PreparedChat
{
    internal PreparedChat(ChatQuery query, ChatbotDefinition chatbot, IReadOnlyList<ChatMessage> messages, ChatOptions options, string messageId, string model, long startedTimestamp)
    {
        Query = query;
        SpeakAnswer = query.EnableTts;
        Chatbot = chatbot;
        Messages = messages;
        Options = options;
        MessageId = messageId;
        Model = model;
        StartedTimestamp = startedTimestamp;
    }

    /// <summary>The question.</summary>
    public ChatQuery Query { get; }

    /// <summary>Whether the answer is spoken as well (<c>audio</c> events); the caller's <c>enableTTS</c> unless turned off.</summary>
    public bool SpeakAnswer { get; }

    /// <summary>The chatbot that answers.</summary>
    public ChatbotDefinition Chatbot { get; }

    /// <summary>The prompt: system prompt, recent history, then the question.</summary>
    public IReadOnlyList<ChatMessage> Messages { get; }

    /// <summary>The options passed to the model.</summary>
    public ChatOptions Options { get; }

    /// <summary>The id the answer is stored under.</summary>
    public string MessageId { get; }

    /// <summary>The model asked.</summary>
    public string Model { get; }

    /// <summary>When the question arrived, as a <see cref="TimeProvider"/> timestamp.</summary>
    public long StartedTimestamp { get; }
}
