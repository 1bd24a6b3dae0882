using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StreamingChat.Testing;

namespace StreamingChat.AspNetCore.Tests;

/// <summary>
/// A framing added in one file of the application's own (<see cref="NdjsonFraming"/>), mapped for questions and for reading
/// answers: an answer asked through it, read through it again from its start, and resumed after an id, on Kestrel over
/// loopback with the relay's ownership, resume tokens and ids.
/// </summary>
public sealed class NdjsonFramingServerTests : IAsyncLifetime
{
    private readonly FakeChatClient _model = new() { Tokens = ["One ", "two ", "three ", "four ", "five."] };
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["StreamingChat:Chat:HeartbeatSeconds"] = "0.1" });
        builder.Services.AddStreamingChat(builder.Configuration).AddChatClient(_ => _model);
        _app = builder.Build();
        _app.MapStreamingChat();
        _app.MapQuestionStream<NdjsonFraming>("/ndjson/ask");
        _app.MapAnswerStream<NdjsonFraming>("/ndjson/answers/{messageId}");
        await _app.StartAsync();
        _client = new HttpClient { BaseAddress = new Uri(_app.Urls.First()), Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task AnAnswer_AskedReadAndResumedThroughTheApplicationsOwnFraming()
    {
        using var asked = await _client.PostAsync("/ndjson/ask", new StringContent("""{"query":"Count","chatbotId":"demo","sessionId":"nd"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, asked.StatusCode);
        Assert.Equal("application/x-ndjson", asked.Content.Headers.ContentType?.MediaType);
        var events = Lines(await asked.Content.ReadAsStringAsync());
        Assert.Equal(["start", "token", "token", "token", "token", "token", "done"], events.Select(e => e.GetProperty("type").GetString()));
        Assert.Equal(Enumerable.Range(0, 7), events.Select(e => e.GetProperty("id").GetInt32()));
        var messageId = events[0].GetProperty("messageId").GetString()!;

        // Read again through the resume token of the Location it was given, whole, and resumed after id 3.
        var token = asked.Headers.Location!.OriginalString.Split("resumeToken=")[1];
        var whole = Lines(await _client.GetStringAsync($"/ndjson/answers/{messageId}?resumeToken={token}"));
        Assert.Equal(events.Select(e => e.GetRawText()), whole.Select(e => e.GetRawText()));
        using var resume = new HttpRequestMessage(HttpMethod.Get, $"/ndjson/answers/{messageId}?resumeToken={token}");
        resume.Headers.Add("Last-Event-ID", "3");
        using var resumed = await _client.SendAsync(resume);
        var rest = Lines(await resumed.Content.ReadAsStringAsync());
        Assert.Equal([4, 5, 6], rest.Select(e => e.GetProperty("id").GetInt32()));
        Assert.Equal("four five.", string.Concat(rest.Where(e => e.GetProperty("type").GetString() == "token").Select(e => e.GetProperty("text").GetString())));

        // Without the token or the session's key: the same 404 as for an answer that does not exist.
        using var stranger = await _client.GetAsync($"/ndjson/answers/{messageId}");
        using var nobody = await _client.GetAsync("/ndjson/answers/no-such-answer");
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (stranger.StatusCode, nobody.StatusCode));
    }

    private static List<JsonElement> Lines(string body)
        => [.. body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone())];
}
