namespace StreamingChat.Core;

/// <summary>Where chatbot definitions live.</summary>
public interface IChatbotStore
{
    /// <summary>Gets a chatbot by id, or null when there is none (disabled chatbots are returned, with <see cref="ChatbotDefinition.Enabled"/> false).</summary>
    Task<ChatbotDefinition?> GetAsync(string chatbotId, CancellationToken cancellationToken = default);

    /// <summary>Lists every chatbot, ordered by id.</summary>
    Task<IReadOnlyList<ChatbotDefinition>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Creates or replaces a chatbot.</summary>
    Task UpsertAsync(ChatbotDefinition chatbot, CancellationToken cancellationToken = default);
}
