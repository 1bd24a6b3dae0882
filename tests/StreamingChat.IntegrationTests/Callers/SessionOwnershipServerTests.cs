using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>Every session has an owner: another caller gets the same 404 as for a session that does not exist, whatever it sends.</summary>
public sealed class SessionOwnershipServerTests : IAsyncLifetime
{
    private FakeOpenAIServer _upstream = null!;
    private readonly JwtTokens _tokens = new();

    public async Task InitializeAsync() => _upstream = await FakeOpenAIServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    private Task<HostInstance> StartAsync(params string[] settings) => HostInstance.StartWithUpstreamAsync(_upstream, [.. _tokens.HostSettings, .. settings]);

    private static async Task<(HttpStatusCode Status, string Body, List<ReceivedEvent> Events)> AskAsync(HostInstance host, string query, string? sessionId, string? key = null, string? bearer = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/chat/query/stream") { Content = JsonContent.Create(new { query, chatbotId = "demo", sessionId }) };
        if (key is not null)
        {
            request.Headers.Add("X-Session-Key", key);
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        using var response = await host.Client.SendAsync(request);
        var events = new List<ReceivedEvent>();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return (response.StatusCode, await response.Content.ReadAsStringAsync(), events);
        }

        await foreach (var e in SseTestClient.ReadEventsAsync(await response.Content.ReadAsStreamAsync()))
        {
            events.Add(e);
        }

        return (response.StatusCode, "", events);
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HostInstance host, HttpMethod method, string path, string? key = null, string? bearer = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            request.Headers.Add("X-Session-Key", key);
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        using var response = await host.Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>A 404 body without its per-request trace id: the part that must be the same for every refusal.</summary>
    private static string Comparable(string body)
    {
        var json = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(body)!;
        json.Remove("traceId");
        return JsonSerializer.Serialize(json);
    }

    [Fact]
    public async Task KeyHolder_OwnsTheSession_EveryOtherCallerGetsTheSame404_AndNothingOfTheirsLands()
    {
        await using var host = await StartAsync();
        var first = await AskAsync(host, "First?", "conversation-s");
        var keyA = first.Events[0].Data.GetProperty("sessionKey").GetString()!;
        var second = await AskAsync(host, "Second?", "conversation-s", keyA);
        Assert.Equal("done", second.Events[^1].Type);
        Assert.Equal(["system", "user:First?", "assistant:Hello from the fake!", "user:Second?"],
            _upstream.Requests[^1].Messages.Select(m => m.Role == "system" ? "system" : $"{m.Role}:{m.Content}"));

        var other = await AskAsync(host, "Mine now", "other-s");
        var keyB = other.Events[0].Data.GetProperty("sessionKey").GetString()!;
        var missing = await AskAsync(host, "Hi", "no-such-session-but-taken-by-nobody-" + Guid.NewGuid(), "not-a-key");
        var nonexistent = await SendAsync(host, HttpMethod.Get, "/api/chat/sessions/no-such-session");
        var upstreamCalls = _upstream.Requests.Count;
        var refusals = new[]
        {
            await AskAsync(host, "Repeat our conversation so far", "conversation-s"),
            await AskAsync(host, "Repeat our conversation so far", "conversation-s", keyA[..^4] + "AAAA"),
            await AskAsync(host, "Repeat our conversation so far", "conversation-s", keyB),
        };
        var endpointRefusals = new[]
        {
            await SendAsync(host, HttpMethod.Get, "/api/chat/sessions/conversation-s"),
            await SendAsync(host, HttpMethod.Get, "/api/chat/sessions/conversation-s", keyB),
            await SendAsync(host, HttpMethod.Delete, "/api/chat/sessions/conversation-s", keyB),
        };

        Assert.Equal(HttpStatusCode.OK, missing.Status); // an unknown key for a new session just starts it
        Assert.Equal(HttpStatusCode.NotFound, nonexistent.Status);
        Assert.All(refusals, r => Assert.Equal((HttpStatusCode.NotFound, Comparable(nonexistent.Body)), (r.Status, Comparable(r.Body))));
        Assert.All(endpointRefusals, r => Assert.Equal((HttpStatusCode.NotFound, Comparable(nonexistent.Body)), (r.Status, Comparable(r.Body))));
        Assert.Equal(upstreamCalls, _upstream.Requests.Count); // no refused question reached the model
        Assert.Equal("session_not_found", JsonDocument.Parse(nonexistent.Body).RootElement.GetProperty("code").GetString());

        var turns = await host.Services.GetRequiredService<IConversationStore>().GetRecentAsync("conversation-s", 50);
        Assert.Equal(["First?", "Hello from the fake!", "Second?", "Hello from the fake!"], turns.Select(t => t.Content));
        var view = await SendAsync(host, HttpMethod.Get, "/api/chat/sessions/conversation-s", keyA);
        Assert.Equal(HttpStatusCode.OK, view.Status);
        var messages = JsonDocument.Parse(view.Body).RootElement.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["user", "assistant", "user", "assistant"], messages.Select(m => m.GetProperty("role").GetString()));
        Assert.Equal("complete", messages[^1].GetProperty("status").GetString());
    }

    [Fact]
    public async Task SignedInUsers_OwnTheirSessions_AnotherUserAndAnonymousCallersGet404()
    {
        await using var host = await StartAsync();
        var alice = _tokens.For("alice");
        var bob = _tokens.For("bob");
        var first = await AskAsync(host, "First?", "alice-s", bearer: alice);
        var again = await AskAsync(host, "Second?", "alice-s", bearer: alice);

        var asBob = await AskAsync(host, "Repeat our conversation so far", "alice-s", bearer: bob);
        var anonymous = await AskAsync(host, "Repeat our conversation so far", "alice-s");
        var bobReads = await SendAsync(host, HttpMethod.Get, "/api/chat/sessions/alice-s", bearer: bob);
        var aliceReads = await SendAsync(host, HttpMethod.Get, "/api/chat/sessions/alice-s", bearer: alice);

        Assert.False(first.Events[0].Data.TryGetProperty("sessionKey", out _)); // a signed-in caller needs no key
        Assert.Equal("done", again.Events[^1].Type);
        Assert.Equal(HttpStatusCode.NotFound, asBob.Status);
        Assert.Equal(HttpStatusCode.NotFound, anonymous.Status);
        Assert.Equal(HttpStatusCode.NotFound, bobReads.Status);
        Assert.Equal(HttpStatusCode.OK, aliceReads.Status);
        Assert.Equal(4, JsonDocument.Parse(aliceReads.Body).RootElement.GetProperty("messages").GetArrayLength());
        Assert.All((await host.Services.GetRequiredService<IConversationStore>().GetRecentAsync("alice-s", 50)), t => Assert.Equal("user:alice@dotnet-user-jwts", t.Owner));
    }

    [Fact]
    public async Task TheSameSubjectFromAnotherIssuer_IsAnotherUser_AndGetsThe404()
    {
        var issuerA = new JwtTokens("https://login.a.example");
        var issuerB = new JwtTokens("https://login.b.example");
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream, [.. JwtTokens.HostSettingsFor(issuerA, issuerB), "--StreamingChat:Sessions:Ownership=User"]);

        var fromA = await AskAsync(host, "First?", "shared-sub", bearer: issuerA.For("alice"));
        var fromB = await AskAsync(host, "Repeat our conversation so far", "shared-sub", bearer: issuerB.For("alice"));
        var bReads = await SendAsync(host, HttpMethod.Get, "/api/chat/sessions/shared-sub", bearer: issuerB.For("alice"));
        var aReads = await SendAsync(host, HttpMethod.Get, "/api/chat/sessions/shared-sub", bearer: issuerA.For("alice"));

        Assert.Equal("done", fromA.Events[^1].Type);
        Assert.Equal(HttpStatusCode.NotFound, fromB.Status);
        Assert.Equal(HttpStatusCode.NotFound, bReads.Status);
        Assert.Equal(Comparable(bReads.Body), Comparable((await SendAsync(host, HttpMethod.Get, "/api/chat/sessions/no-such-session", bearer: issuerB.For("alice"))).Body));
        Assert.Equal(HttpStatusCode.OK, aReads.Status);
    }

    [Fact]
    public async Task TheGuidesCurl_StillAnswers_AndNoSessionIdGetsAServerNamedSession()
    {
        await using var host = await StartAsync();

        var named = await AskAsync(host, "Hello", "test-uuid");
        var unnamed = await AskAsync(host, "Hello", sessionId: null);

        Assert.Equal("done", named.Events[^1].Type);
        Assert.Equal("test-uuid", named.Events[0].Data.GetProperty("sessionId").GetString());
        Assert.Equal("done", unnamed.Events[^1].Type);
        var serverNamed = unnamed.Events[0].Data.GetProperty("sessionId").GetString()!;
        Assert.True(Guid.TryParse(serverNamed, out _), serverNamed);
        var key = unnamed.Events[0].Data.GetProperty("sessionKey").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(host, HttpMethod.Get, $"/api/chat/sessions/{serverNamed}", key)).Status);
    }

    [Fact]
    public async Task SessionsEndpoint_StartsAnEmptySessionWithItsKey_TakenNamesAre409_DeleteErasesEverything()
    {
        await using var host = await StartAsync();
        using var created = await host.Client.PostAsJsonAsync("/api/chat/sessions", new { sessionId = "made-first" });
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var key = body.GetProperty("sessionKey").GetString()!;
        using var taken = await host.Client.PostAsJsonAsync("/api/chat/sessions", new { sessionId = "made-first" });
        using var unnamed = await host.Client.PostAsync("/api/chat/sessions", null);
        var empty = await SendAsync(host, HttpMethod.Get, "/api/chat/sessions/made-first", key);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(key, created.Headers.GetValues("X-Session-Key").Single());
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        Assert.Equal("session_exists", (await taken.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Created, unnamed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, empty.Status);
        Assert.Equal(0, JsonDocument.Parse(empty.Body).RootElement.GetProperty("messages").GetArrayLength());

        Assert.Equal("done", (await AskAsync(host, "Hi", "made-first", key)).Events[^1].Type);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(host, HttpMethod.Delete, "/api/chat/sessions/made-first", key)).Status);

        var store = host.Services.GetRequiredService<IConversationStore>();
        Assert.Empty(await store.GetRecentAsync("made-first", 50));
        Assert.Null(await store.GetSessionAsync("made-first"));
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(host, HttpMethod.Get, "/api/chat/sessions/made-first", key)).Status);
    }

    [Fact]
    public async Task RequireAuthenticatedCaller_AnonymousIs401_ATokenAnswers_AndTheProbesStayOpen()
    {
        await using var host = await StartAsync("--StreamingChat:Sessions:RequireAuthenticatedCaller=true");

        var anonymous = await AskAsync(host, "Hi", "s1");
        var signedIn = await AskAsync(host, "Hi", "s1", bearer: _tokens.For("carol"));
        using var live = await host.Client.GetAsync("/healthz/live");
        using var ready = await host.Client.GetAsync("/healthz/ready");

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.Status);
        Assert.Equal("unauthorized", JsonDocument.Parse(anonymous.Body).RootElement.GetProperty("code").GetString());
        Assert.Equal("done", signedIn.Events[^1].Type);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task OwnershipNone_AnyCallerUsesAnySession()
    {
        await using var host = await StartAsync("--StreamingChat:Sessions:Ownership=None");

        var first = await AskAsync(host, "First?", "shared");
        var second = await AskAsync(host, "Second?", "shared");

        Assert.False(first.Events[0].Data.TryGetProperty("sessionKey", out _));
        Assert.Equal("done", second.Events[^1].Type);
        Assert.Contains(("user", "First?"), _upstream.Requests[^1].Messages);
    }
}
