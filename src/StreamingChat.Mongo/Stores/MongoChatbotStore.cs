using MongoDB.Driver;
using StreamingChat.Core;

namespace StreamingChat.Mongo;

/// <summary>Chatbot definitions in MongoDB's <c>chatbots</c> collection, one document per chatbot with its id as <c>_id</c>.</summary>
public sealed class MongoChatbotStore(StreamingChatMongo mongo) : IChatbotStore
{
    /// <inheritdoc/>
    public async Task<ChatbotDefinition?> GetAsync(string chatbotId, CancellationToken cancellationToken = default)
    {
        var document = await mongo.Chatbots.Find(c => c.Id == chatbotId).Limit(1).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        return document?.ToDefinition();
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<ChatbotDefinition>> ListAsync(CancellationToken cancellationToken = default)
    {
        var documents = await mongo.Chatbots.Find(FilterDefinition<ChatbotDocument>.Empty)
            .Sort(Builders<ChatbotDocument>.Sort.Ascending(c => c.Id))
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. documents.Select(d => d.ToDefinition())];
    }

    /// <inheritdoc/>
    public Task UpsertAsync(ChatbotDefinition chatbot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chatbot);
        return mongo.Chatbots.ReplaceOneAsync(c => c.Id == chatbot.Id, ChatbotDocument.From(chatbot), new ReplaceOptions { IsUpsert = true }, cancellationToken);
    }
}
