using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace StreamingChat.Core;

/// <summary>Chatbots kept in this process, seeded from <see cref="ChatbotSeedOptions"/> (<c>StreamingChat:Chatbots</c>).</summary>
public sealed class InMemoryChatbotStore : IChatbotStore
{
    private readonly ConcurrentDictionary<string, ChatbotDefinition> _chatbots = new(StringComparer.Ordinal);

    /// <summary>Creates a store holding the configured chatbots, or the built-in <c>demo</c> chatbot when none is configured.</summary>
    public InMemoryChatbotStore(IOptions<ChatbotSeedOptions> seed, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(seed);
        var now = (timeProvider ?? TimeProvider.System).GetUtcNow();
        foreach (var chatbot in seed.Value.ToDefinitions(now))
        {
            _chatbots[chatbot.Id] = chatbot;
        }
    }

    /// <inheritdoc/>
    public Task<ChatbotDefinition?> GetAsync(string chatbotId, CancellationToken cancellationToken = default)
        => Task.FromResult(_chatbots.GetValueOrDefault(chatbotId));

    /// <inheritdoc/>
    public Task<IReadOnlyList<ChatbotDefinition>> ListAsync(CancellationToken cancellationToken = default)
        => Task.FromResult<IReadOnlyList<ChatbotDefinition>>([.. _chatbots.Values.OrderBy(c => c.Id, StringComparer.Ordinal)]);

    /// <inheritdoc/>
    public Task UpsertAsync(ChatbotDefinition chatbot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chatbot);
        _chatbots[chatbot.Id] = chatbot;
        return Task.CompletedTask;
    }
}
