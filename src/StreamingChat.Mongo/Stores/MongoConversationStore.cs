using MongoDB.Driver;
using StreamingChat.Core;

namespace StreamingChat.Mongo;

/// <summary>
/// Conversation turns in MongoDB's <c>messages</c> collection: one document per turn with its message id as <c>_id</c>,
/// so storing a turn again (an answer's final state after its question) replaces it rather than adding one. Recent
/// history is read newest first over the <c>{sessionId, createdAt}</c> index and limited, then put in order.
/// </summary>
public sealed class MongoConversationStore(StreamingChatMongo mongo) : IConversationStore
{
    /// <inheritdoc/>
    public async Task AppendAsync(IReadOnlyList<ConversationMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 1)
        {
            var document = MessageDocument.From(messages[0]);
            await mongo.Messages.ReplaceOneAsync(m => m.Id == document.Id, document, new ReplaceOptions { IsUpsert = true }, cancellationToken).ConfigureAwait(false);
        }
        else if (messages.Count > 1)
        {
            var writes = messages.Select(m => MessageDocument.From(m))
                .Select(d => new ReplaceOneModel<MessageDocument>(Builders<MessageDocument>.Filter.Eq(m => m.Id, d.Id), d) { IsUpsert = true });
            await mongo.Messages.BulkWriteAsync(writes, new BulkWriteOptions { IsOrdered = true }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<ConversationMessage>> GetRecentAsync(string sessionId, int maxMessages, CancellationToken cancellationToken = default)
    {
        if (maxMessages <= 0)
        {
            return [];
        }

        var newestFirst = await mongo.Messages.Find(m => m.SessionId == sessionId)
            .Sort(Builders<MessageDocument>.Sort.Descending(m => m.CreatedAt))
            .Limit(maxMessages)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var turns = new ConversationMessage[newestFirst.Count];
        for (var i = 0; i < turns.Length; i++)
        {
            turns[i] = newestFirst[turns.Length - 1 - i].ToMessage();
        }

        return turns;
    }
}
