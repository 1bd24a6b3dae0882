using MongoDB.Driver;
using StreamingChat.Core;

namespace StreamingChat.Mongo;

/// <summary>
/// Conversation turns in MongoDB's <c>messages</c> collection: one document per turn with its message id as <c>_id</c>,
/// so storing a turn again (an answer's final state after its question) replaces it rather than adding one. Recent
/// history is read newest first over the <c>{owner, sessionId, createdAt}</c> index and limited, then put in order.
/// Sessions and their owners are in <c>sessions</c>, one document per session with its id as <c>_id</c>, so claiming a
/// new session id is one upsert that a second caller cannot win too.
/// </summary>
public sealed class MongoConversationStore(StreamingChatMongo mongo) : IConversationStore
{
    private const int DuplicateKey = 11000;

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
    public async Task<IReadOnlyList<ConversationMessage>> GetRecentAsync(string sessionId, string? owner, int maxMessages, string? beforeMessageId = null, CancellationToken cancellationToken = default)
    {
        if (maxMessages <= 0)
        {
            return [];
        }

        var filters = Builders<MessageDocument>.Filter;
        var filter = owner is null
            ? filters.Eq(m => m.SessionId, sessionId)
            : filters.Eq(m => m.Owner, owner) & filters.Eq(m => m.SessionId, sessionId);
        if (beforeMessageId is not null)
        {
            var before = await mongo.Messages.Find(filter & filters.Eq(m => m.Id, beforeMessageId)).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
            if (before is null)
            {
                return [];
            }

            filter &= filters.Lt(m => m.CreatedAt, before.CreatedAt);
        }

        var newestFirst = await mongo.Messages.Find(filter)
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

    /// <inheritdoc/>
    public async Task<ConversationMessage?> GetMessageAsync(string messageId, CancellationToken cancellationToken = default)
    {
        var document = await mongo.Messages.Find(m => m.Id == messageId).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        return document?.ToMessage();
    }

    /// <inheritdoc/>
    public async Task<ConversationSession?> GetSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        var document = await mongo.Sessions.Find(s => s.Id == sessionId).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        return document?.ToSession();
    }

    /// <inheritdoc/>
    /// <remarks>
    /// One <c>findAndModify</c> with upsert: the owner and creation time only when the record is new (<c>$setOnInsert</c>),
    /// <c>updatedAt</c> every time, so a session in use never ages out under the retention index. Two first questions
    /// racing both upsert; the loser's duplicate key is answered by reading the winner's record.
    /// </remarks>
    public async Task<ConversationSession> GetOrCreateSessionAsync(ConversationSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var update = Builders<SessionDocument>.Update
            .SetOnInsert(s => s.Owner, session.Owner)
            .SetOnInsert(s => s.CreatedAt, session.CreatedAt.UtcDateTime)
            .Set(s => s.UpdatedAt, DateTime.UtcNow);
        var options = new FindOneAndUpdateOptions<SessionDocument> { IsUpsert = true, ReturnDocument = ReturnDocument.After };
        try
        {
            var stored = await mongo.Sessions.FindOneAndUpdateAsync<SessionDocument>(s => s.Id == session.SessionId, update, options, cancellationToken).ConfigureAwait(false);
            return stored?.ToSession() ?? session;
        }
        catch (MongoException ex) when (IsDuplicateKey(ex))
        {
            return await GetSessionAsync(session.SessionId, cancellationToken).ConfigureAwait(false) ?? session;
        }
    }

    /// <summary>A duplicate <c>_id</c>: a write error from mongod, or the command error some wire-compatible servers give.</summary>
    private static bool IsDuplicateKey(MongoException exception) => exception switch
    {
        MongoWriteException write => write.WriteError?.Code == DuplicateKey,
        MongoCommandException command => command.Code == DuplicateKey,
        _ => false,
    };

    /// <inheritdoc/>
    public async Task<bool> DeleteSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        // Turns first: a session record left by a failure half-way still protects the id, and deleting again finishes the job.
        var turns = await mongo.Messages.DeleteManyAsync(m => m.SessionId == sessionId, cancellationToken).ConfigureAwait(false);
        var session = await mongo.Sessions.DeleteOneAsync(s => s.Id == sessionId, cancellationToken).ConfigureAwait(false);
        return turns.DeletedCount + session.DeletedCount > 0;
    }
}
