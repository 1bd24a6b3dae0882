using System.Text.Json;
using System.Text.Json.Serialization;
using StackExchange.Redis;

namespace StreamingChat.Core;

/// <summary>
/// Where the turns an outbox keeps are copied so they outlive the instance that keeps them. Without one, a turn waits in
/// that instance's memory only.
/// </summary>
internal interface ITurnOutboxCopy
{
    /// <summary>Copies a kept turn, after those kept before it.</summary>
    Task KeepAsync(ConversationMessage turn);

    /// <summary>Forgets the <paramref name="count"/> oldest copies: they are in the store now.</summary>
    Task WrittenAsync(int count);

    /// <summary>Takes over the turns of instances that are gone (their lease lapsed), oldest first; none when there are none.</summary>
    Task<IReadOnlyList<ConversationMessage>> AdoptAsync();

    /// <summary>
    /// Forgets the copies of a session's turns: this instance's (its queue forgot them too) and those of instances that are
    /// gone (no queue mirrors them any more). A live instance's own are its own to forget.
    /// </summary>
    Task EraseSessionAsync(string sessionId);
}

/// <summary>
/// The outbox's copy in Redis: one list per instance (<c>{outbox}:instance</c>), and the set of instances that have one,
/// under one hash tag so a script moves a gone instance's turns to this one's list in one step (one Redis or a Redis
/// Cluster). The keys do not expire: a turn waits until some instance has written it.
/// </summary>
internal sealed class RedisTurnOutboxCopy(StreamingChatRedis redis, StreamingChatInstance instance) : ITurnOutboxCopy
{
    // KEYS: the gone instance's list, this instance's list, the owners set. ARGV: the gone instance, this instance. Moves
    // every turn (in order) and returns them.
    private const string AdoptScript = """
        local turns = redis.call('LRANGE', KEYS[1], 0, -1)
        for i = 1, #turns do redis.call('RPUSH', KEYS[2], turns[i]) end
        redis.call('DEL', KEYS[1])
        redis.call('SREM', KEYS[3], ARGV[1])
        if #turns > 0 then redis.call('SADD', KEYS[3], ARGV[2]) end
        return turns
        """;

    // KEYS: lists of turns. ARGV: a session's id. Removes that session's turns from each list, keeping the others in order;
    // returns how many went.
    private const string EraseScript = """
        local removed = 0
        for k = 1, #KEYS do
          local turns = redis.call('LRANGE', KEYS[k], 0, -1)
          local kept = {}
          for i = 1, #turns do
            local ok, turn = pcall(cjson.decode, turns[i])
            if ok and type(turn) == 'table' and turn['sessionId'] == ARGV[1] then
              removed = removed + 1
            else
              kept[#kept + 1] = turns[i]
            end
          end
          if #kept < #turns then
            redis.call('DEL', KEYS[k])
            for i = 1, #kept do redis.call('RPUSH', KEYS[k], kept[i]) end
          end
        end
        return removed
        """;

    public async Task EraseSessionAsync(string sessionId)
    {
        var database = redis.Database;
        var lists = new List<RedisKey> { ListKey(instance.InstanceId) };
        foreach (var owner in await database.SetMembersAsync(OwnersKey).ConfigureAwait(false))
        {
            var id = owner.ToString();
            if (id != instance.InstanceId && !await database.KeyExistsAsync(redis.LeaseKey(id)).ConfigureAwait(false))
            {
                lists.Add(ListKey(id));
            }
        }

        // Every list shares the {outbox} hash tag: one script, on one Redis or a Redis Cluster.
        await database.ScriptEvaluateAsync(EraseScript, [.. lists], [sessionId]).ConfigureAwait(false);
    }

    public async Task KeepAsync(ConversationMessage turn)
    {
        var batch = redis.Database.CreateBatch();
        var pushed = batch.ListRightPushAsync(ListKey(instance.InstanceId), JsonSerializer.SerializeToUtf8Bytes(turn, TurnJson.Default.ConversationMessage));
        var owned = batch.SetAddAsync(OwnersKey, instance.InstanceId);
        batch.Execute();
        await Task.WhenAll(pushed, owned).ConfigureAwait(false);
    }

    public Task WrittenAsync(int count) => redis.Database.ListLeftPopAsync(ListKey(instance.InstanceId), count);

    public async Task<IReadOnlyList<ConversationMessage>> AdoptAsync()
    {
        var database = redis.Database;
        var adopted = new List<ConversationMessage>();
        foreach (var owner in await database.SetMembersAsync(OwnersKey).ConfigureAwait(false))
        {
            var id = owner.ToString();
            if (id == instance.InstanceId || await database.KeyExistsAsync(redis.LeaseKey(id)).ConfigureAwait(false))
            {
                continue; // this instance's own, or a live one's: it writes them itself
            }

            var turns = (RedisResult[])(await database.ScriptEvaluateAsync(AdoptScript, [ListKey(id), ListKey(instance.InstanceId), OwnersKey], [id, instance.InstanceId]).ConfigureAwait(false))!;
            adopted.AddRange(turns.Select(t => JsonSerializer.Deserialize((byte[])t!, TurnJson.Default.ConversationMessage)!));
        }
        return adopted;
    }

    private RedisKey OwnersKey => redis.Key("{outbox}");

    private RedisKey ListKey(string instanceId) => redis.Key("{outbox}:" + instanceId);
}

/// <summary>Source-generated JSON for turns kept in Redis.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(ConversationMessage))]
internal sealed partial class TurnJson : JsonSerializerContext;
