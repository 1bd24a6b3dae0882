using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StreamingChat.Testing;

namespace StreamingChat.Core.Tests.Redis;

/// <summary>The outbox's copy in a real Redis: erasing a session takes its turns out of the lists nobody else mirrors.</summary>
public sealed class RedisTurnOutboxCopyServerTests : IAsyncLifetime
{
    private RedisTestServer _server = null!;
    private readonly List<IDisposable> _owned = [];

    public async Task InitializeAsync() => _server = await RedisTestServer.StartAsync();

    public async Task DisposeAsync()
    {
        _owned.ForEach(o => o.Dispose());
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task EraseSession_TakesItsTurnsFromThisInstancesListAndAGoneOnes_InOrder_AndLeavesALiveOnesToIt()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        var (here, redis) = Copy(prefix, "here");
        var (gone, _) = Copy(prefix, "gone");
        var (live, _) = Copy(prefix, "live");
        await redis.Database.StringSetAsync(redis.LeaseKey("here"), "1");
        await redis.Database.StringSetAsync(redis.LeaseKey("live"), "1");
        foreach (var (copy, name) in new[] { (here, "h"), (gone, "g"), (live, "l") })
        {
            await copy.KeepAsync(Turn(name + "1", "keep"));
            await copy.KeepAsync(Turn(name + "2", "erase"));
            await copy.KeepAsync(Turn(name + "3", "keep"));
        }

        await here.EraseSessionAsync("erase");

        Assert.Equal(["h1", "h3"], await TurnsAsync(redis, "here"));
        Assert.Equal(["g1", "g3"], await TurnsAsync(redis, "gone"));
        Assert.Equal(["l1", "l2", "l3"], await TurnsAsync(redis, "live")); // its queue mirrors its list: it erases its own
    }

    private static ConversationMessage Turn(string id, string session) => new() { MessageId = id, SessionId = session, ChatbotId = "demo", Role = ConversationRole.User, Content = "text of " + id };

    private static async Task<List<string>> TurnsAsync(StreamingChatRedis redis, string instanceId)
        => [.. (await redis.Database.ListRangeAsync(redis.Key("{outbox}:" + instanceId))).Select(t => System.Text.Json.JsonDocument.Parse((string)t!).RootElement.GetProperty("messageId").GetString()!)];

    private (RedisTurnOutboxCopy Copy, StreamingChatRedis Redis) Copy(string prefix, string instanceId)
    {
        var redis = new StreamingChatRedis(Options.Create(new RedisOptions { ConnectionString = _server.ConnectionString, KeyPrefix = prefix, TimeoutMilliseconds = 5000 }), NullLogger<StreamingChatRedis>.Instance);
        _owned.Add(redis);

        // Connected before it is used: on a busy machine the first connection can take longer than a command may wait.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!redis.IsConnected && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
        }

        var instance = new StreamingChatInstance(Options.Create(new MetricsOptions { InstanceId = instanceId }), TimeProvider.System);
        return (new RedisTurnOutboxCopy(redis, instance), redis);
    }
}
