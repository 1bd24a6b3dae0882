using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>A person rates an answer of theirs: stored with the turn, replaced by a second rating, counted; nobody else can.</summary>
public sealed class FeedbackServerTests : IAsyncLifetime
{
    private FakeOpenAIServer _upstream = null!;
    private HostInstance _host = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeOpenAIServer.StartAsync();
        _host = await HostInstance.StartWithUpstreamAsync(_upstream);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private async Task<HttpResponseMessage> RateAsync(string messageId, object body, string? sessionKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/chat/answers/{messageId}/feedback") { Content = JsonContent.Create(body) };
        if (sessionKey is not null)
        {
            request.Headers.Add("X-Session-Key", sessionKey);
        }

        return await _host.Client.SendAsync(request);
    }

    [Fact]
    public async Task TheOwnersRating_IsStoredWithTheTurn_ASecondReplacesIt_AndEachIsCounted()
    {
        var events = await _host.AskAsync("Was this good?", sessionId: "rated");
        var messageId = events[0].Data.GetProperty("messageId").GetString()!;
        var key = _host.SessionKeys["rated"];

        using var first = await RateAsync(messageId, new { rating = "down", comment = "Too short." }, key);
        using var second = await RateAsync(messageId, new { rating = "up" }, key);

        Assert.Equal((HttpStatusCode.NoContent, HttpStatusCode.NoContent), (first.StatusCode, second.StatusCode));
        var stored = await _host.Services.GetRequiredService<IConversationStore>().GetMessageAsync(messageId);
        Assert.Equal(("up", null), (stored!.Feedback!.Rating, stored.Feedback.Comment));
        Assert.Equal("Hello from the fake!", stored.Content); // the rest of the turn is as it was

        using var view = new HttpRequestMessage(HttpMethod.Get, "/api/chat/sessions/rated");
        view.Headers.Add("X-Session-Key", key);
        var session = await (await _host.Client.SendAsync(view)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("up", session.GetProperty("messages")[1].GetProperty("feedback").GetProperty("rating").GetString());

        var feedback = (await _host.Client.GetFromJsonAsync<JsonElement>("/api/metrics/streaming")).GetProperty("feedback").GetProperty("demo");
        Assert.Equal((1, 1), (feedback.GetProperty("up").GetInt32(), feedback.GetProperty("down").GetInt32()));
    }

    [Fact]
    public async Task AStrangersRating_IsTheSame404AsForNoAnswer_AndABadRatingIs400NamingTheField()
    {
        var events = await _host.AskAsync("Mine.", sessionId: "owned");
        var messageId = events[0].Data.GetProperty("messageId").GetString()!;

        using var stranger = await RateAsync(messageId, new { rating = "down" }, sessionKey: null);
        using var unknown = await RateAsync("no-such-answer", new { rating = "down" }, _host.SessionKeys["owned"]);
        using var sideways = await RateAsync(messageId, new { rating = "sideways" }, _host.SessionKeys["owned"]);
        using var long_ = await RateAsync(messageId, new { rating = "up", comment = new string('x', 2001) }, _host.SessionKeys["owned"]);

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (stranger.StatusCode, unknown.StatusCode));
        var strangerProblem = (await stranger.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString();
        Assert.Equal(("answer_not_found", "answer_not_found"), (strangerProblem, (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, sideways.StatusCode);
        Assert.True((await sideways.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("rating", out _));
        Assert.True((await long_.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("comment", out _));
        Assert.Null((await _host.Services.GetRequiredService<IConversationStore>().GetMessageAsync(messageId))!.Feedback);
    }
}
