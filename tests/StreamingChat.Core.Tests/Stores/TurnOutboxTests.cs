using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StreamingChat.Testing;

namespace StreamingChat.Core.Tests;

public sealed class TurnOutboxTests
{
    private readonly AwayStore _store = new();

    private TurnOutbox Create(int maxTurns = 100)
        => new(_store, new StaticOptionsMonitor<OutboxOptions>(new OutboxOptions { MaxTurns = maxTurns }), new StaticOptionsMonitor<ChatStreamOptions>(new ChatStreamOptions { PersistTimeoutSeconds = 1 }), TimeProvider.System, NullLogger<TurnOutbox>.Instance);

    private static ConversationMessage Turn(string id, string session = "s") => new() { MessageId = id, SessionId = session, ChatbotId = "demo", Role = ConversationRole.User, Content = id };

    [Fact]
    public async Task StoreAway_TurnsWaitInOrder_AndAreWrittenOnceEachWhenItIsBack()
    {
        var outbox = Create();
        await outbox.WriteAsync(Turn("1"));
        _store.Away = true;
        await outbox.WriteAsync(Turn("2"));
        await outbox.WriteAsync(Turn("3", session: "t"));
        _store.Away = false;
        await outbox.WriteAsync(Turn("4")); // the store answers again, but earlier turns wait: this one queues behind them

        Assert.Equal(3, outbox.Pending);
        Assert.Equal(["1"], _store.Written.Select(m => m.MessageId));

        _store.Away = true;
        Assert.False(await outbox.FlushAsync());
        Assert.Equal(3, outbox.Pending);

        _store.Away = false;
        Assert.True(await outbox.FlushAsync());
        Assert.Equal(0, outbox.Pending);
        Assert.Equal(["1", "2", "3", "4"], _store.Written.Select(m => m.MessageId));
    }

    [Fact]
    public async Task EraseSession_DropsItsWaitingTurns_RefusesItsLaterOnes_AndKeepsTheOthersInOrder()
    {
        var outbox = Create();
        _store.Away = true;
        await outbox.WriteAsync(Turn("1"));
        await outbox.WriteAsync(Turn("2", session: "erased"));
        await outbox.WriteAsync(Turn("3"));
        await outbox.WriteAsync(Turn("4", session: "erased"));

        outbox.EraseSession("erased");
        await outbox.WriteAsync(Turn("5", session: "erased")); // an answer stopped by the erasure, ending late
        _store.Away = false;
        await outbox.WriteAsync(Turn("6", session: "erased"));

        Assert.Equal(2, outbox.Pending);
        Assert.True(await outbox.FlushAsync());
        Assert.Equal(["1", "3"], _store.Written.Select(m => m.MessageId));
    }

    [Fact]
    public async Task Full_RefusesNewQuestions_AndHealthSaysSo()
    {
        var outbox = Create(maxTurns: 2);
        var health = new TurnOutboxHealthCheck(outbox, new StaticOptionsMonitor<OutboxOptions>(new OutboxOptions { MaxTurns = 2 }));
        var registration = new HealthCheckRegistration("store-outbox", health, HealthStatus.Degraded, null);
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync(new HealthCheckContext { Registration = registration })).Status);

        _store.Away = true;
        await outbox.WriteAsync(Turn("1"));
        Assert.False(outbox.IsFull);
        await outbox.WriteAsync(Turn("2"));
        Assert.True(outbox.IsFull);
        await outbox.WriteAsync(Turn("3")); // an answer already running still keeps its turn

        var result = await health.CheckHealthAsync(new HealthCheckContext { Registration = registration });
        Assert.Equal((HealthStatus.Degraded, 3), (result.Status, (int)result.Data["pendingTurns"]));
    }

    private sealed class AwayStore : IConversationStore
    {
        private readonly List<ConversationMessage> _written = [];

        public bool Away { get; set; }

        public IReadOnlyList<ConversationMessage> Written { get { lock (_written) { return [.. _written]; } } }

        public Task AppendAsync(IReadOnlyList<ConversationMessage> messages, CancellationToken cancellationToken = default)
        {
            if (Away)
            {
                throw new TimeoutException("The store is away.");
            }

            lock (_written)
            {
                foreach (var message in messages)
                {
                    _written.RemoveAll(m => m.MessageId == message.MessageId);
                    _written.Add(message);
                }
            }

            return Task.CompletedTask;
        }

        public Task<IReadOnlyList<ConversationMessage>> GetRecentAsync(string sessionId, string? owner, int maxMessages, string? beforeMessageId = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ConversationMessage?> GetMessageAsync(string messageId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ConversationSession?> GetSessionAsync(string sessionId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ConversationSession> GetOrCreateSessionAsync(ConversationSession session, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<bool> DeleteSessionAsync(string sessionId, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
