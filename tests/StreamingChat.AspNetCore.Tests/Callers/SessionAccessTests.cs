using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.AspNetCore.Tests;

public sealed class SessionAccessTests
{
    private static SessionAccess Access(IConversationStore store, out SessionKeys keys)
    {
        keys = new SessionKeys(new EphemeralDataProtectionProvider(), NullLogger<SessionKeys>.Instance);
        return new SessionAccess(store, keys, new StaticOptionsMonitor<SessionsOptions>(new SessionsOptions()), TimeProvider.System, NullLogger<SessionAccess>.Instance);
    }

    [Fact]
    public async Task StoreAway_TheQuestionIsStillAnswered_UnderTheOwnerTheCallerProved()
    {
        var access = Access(new AwayStore(), out var keys);
        var caller = new ChatCaller(null, "203.0.113.5");
        var owner = SessionKeys.NewOwner();
        var withKey = new DefaultHttpContext();
        withKey.Request.Headers[SessionAccess.KeyHeader] = keys.Issue("s1", owner);

        var proved = await access.OpenForQuestionAsync(withKey, caller, "s1", CancellationToken.None);
        var fresh = await access.OpenForQuestionAsync(new DefaultHttpContext(), caller, "s1", CancellationToken.None);
        var user = await access.OpenForQuestionAsync(new DefaultHttpContext(), new ChatCaller("alice", "203.0.113.5", "issuer"), "s1", CancellationToken.None);

        Assert.Equal(owner, proved!.Owner);
        Assert.NotEqual(owner, fresh!.Owner); // no key: a new owner, never the session's recorded one
        Assert.NotNull(fresh.SessionKey);
        Assert.Equal("user:alice@issuer", user!.Owner);
    }

    [Fact]
    public void Keys_NameOneSessionAndOneOwner()
    {
        Access(new AwayStore(), out var keys);
        var owner = SessionKeys.NewOwner();
        var key = keys.Issue("s1", owner);

        Assert.Equal(owner, keys.OwnerOf("s1", key));
        Assert.Null(keys.OwnerOf("s2", key));
        Assert.Null(keys.OwnerOf("s1", key![..^3] + "abc"));
        Assert.Null(keys.OwnerOf("s1", "not a key"));
        Assert.Null(keys.OwnerOf("s1", null));
    }

    private sealed class AwayStore : IConversationStore
    {
        public Task AppendAsync(IReadOnlyList<ConversationMessage> messages, CancellationToken cancellationToken = default) => throw new TimeoutException("away");

        public Task<IReadOnlyList<ConversationMessage>> GetRecentAsync(string sessionId, string? owner, int maxMessages, string? beforeMessageId = null, CancellationToken cancellationToken = default) => throw new TimeoutException("away");

        public Task<ConversationSession?> GetSessionAsync(string sessionId, CancellationToken cancellationToken = default) => throw new TimeoutException("away");

        public Task<ConversationMessage?> GetMessageAsync(string messageId, CancellationToken cancellationToken = default) => throw new TimeoutException("away");

        public Task<ConversationSession> GetOrCreateSessionAsync(ConversationSession session, CancellationToken cancellationToken = default) => throw new TimeoutException("away");

        public Task<bool> DeleteSessionAsync(string sessionId, CancellationToken cancellationToken = default) => throw new TimeoutException("away");
    }
}
