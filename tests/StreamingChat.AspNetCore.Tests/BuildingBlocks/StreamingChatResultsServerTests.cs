using System.Diagnostics;
using System.Net;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StreamingChat.AspNetCore;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.AspNetCore.Tests.BuildingBlocks;

/// <summary>
/// The public building blocks on an application's own minimal-API endpoints, on Kestrel over loopback: its own events and a
/// StreamingChat answer relayed with the product's framing, heartbeats, flushing, ids, drain and resume.
/// </summary>
public sealed class StreamingChatResultsServerTests : IAsyncLifetime
{
    private readonly FakeChatClient _model = new() { Tokens = ["One ", "two ", "three ", "four ", "five."] };
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    /// <summary>The application's own event type.</summary>
    public sealed record Tick(int N, string Note);

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["StreamingChat:Chat:HeartbeatSeconds"] = "0.1",
            ["StreamingChat:Chat:RetryMilliseconds"] = "2500",
        });
        builder.Services.AddStreamingChat(builder.Configuration).AddChatClient(_ => _model);
        _app = builder.Build();

        _app.MapGet("/ticks", () => StreamingChatResults.ServerSentEvents(TicksAsync(3, TimeSpan.FromMilliseconds(400)), "tick"));
        _app.MapGet("/notes", () => StreamingChatResults.ServerSentEvents(NotesAsync()));
        _app.MapGet("/held", () => StreamingChatResults.ServerSentEvents(HeldAsync()));
        _app.MapPost("/ask", async (HttpRequest request, IAnswers answers, IChatbotStore chatbots) =>
        {
            var (root, problem) = await StreamingChatRequests.ReadJsonObjectAsync(request, 4096);
            if (problem is not null)
            {
                return problem;
            }

            var question = root!.Value.GetProperty("question").GetString()!;
            if (await chatbots.GetAsync(ChatbotSeedOptions.DemoChatbotId) is not { Enabled: true } chatbot)
            {
                return StreamingChatResults.Problem(StatusCodes.Status404NotFound, "chatbot_not_found", "The chatbot was not found.");
            }

            var query = new ChatQuery(question, chatbot.Id, root.Value.GetProperty("session").GetString()!);
            return StreamingChatResults.Answer(await answers.StartAsync(new AnswerAdmission(query, chatbot)));
        });
        _app.MapGet("/answers/{id}", async (string id, IAnswers answers)
            => await answers.GetAsync(id) is { } answer ? StreamingChatResults.Answer(answer) : StreamingChatResults.Problem(StatusCodes.Status404NotFound, "answer_not_found", "The answer was not found."));
        _app.MapGet("/own-json", () => StreamingChatResults.Json(json =>
        {
            json.WriteStartObject();
            json.WriteString("said", "\"quoted\" <b>");
            json.WriteEndObject();
        }));

        await _app.StartAsync();
        _client = new HttpClient { BaseAddress = new Uri(_app.Urls.First()), Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        _release.TrySetResult();
        _client.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task OwnEvents_ArriveOneByOneAsProduced_NumberedWithRetryFirst_AndHeartbeatsAreCommentLinesOnly()
    {
        using var response = await _client.GetAsync("/ticks", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no", response.Headers.GetValues("X-Accel-Buffering").Single());

        var clock = Stopwatch.StartNew();
        var raw = new StringBuilder();
        var arrivals = new List<double>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line)
        {
            raw.Append(line).Append('\n');
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                arrivals.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        var text = raw.ToString();
        Assert.StartsWith("retry: 2500\nevent: tick\ndata: {\"n\":0,\"note\":\"tick \\\"0\\\"\"}\nid: 0\n\n", WithoutHeartbeats(text), StringComparison.Ordinal);
        Assert.Equal(1, CountOf(text, "retry:"));
        Assert.Contains(": keep-alive\n", text, StringComparison.Ordinal); // 400 ms between events, heartbeats every 100 ms
        Assert.DoesNotContain(": keep-alive\n\n", text, StringComparison.Ordinal); // no blank line after a heartbeat

        // Each event left when it was made, not with the next one or at the end.
        Assert.Equal(3, arrivals.Count);
        Assert.True(arrivals[2] - arrivals[0] > 500, $"events arrived at {string.Join(", ", arrivals)} ms");

        // The framework's own parser reads the stream back as it was produced.
        var items = new List<SseItem<string>>();
        await foreach (var item in SseParser.Create(new MemoryStream(Encoding.UTF8.GetBytes(text))).EnumerateAsync())
        {
            items.Add(item);
        }

        Assert.Equal(["0", "1", "2"], items.Select(i => i.EventId));
        Assert.All(items, i => Assert.Equal("tick", i.EventType));
        Assert.Equal([0, 1, 2], items.Select(i => JsonSerializer.Deserialize<Tick>(i.Data, JsonSerializerOptions.Web)!.N));
    }

    [Fact]
    public async Task SseItems_KeepTheirOwnIdsTypesAndRetry_AndMultiLineTextBecomesOneDataLinePerLine()
    {
        var text = await _client.GetStringAsync("/notes");

        var items = new List<SseItem<string>>();
        await foreach (var item in SseParser.Create(new MemoryStream(Encoding.UTF8.GetBytes(text))).EnumerateAsync())
        {
            items.Add(item);
        }

        Assert.Equal(["a-1", "1"], items.Select(i => i.EventId));
        Assert.Equal(["note", "message"], items.Select(i => i.EventType));
        Assert.Equal("first line\nsecond line", items[0].Data);
        Assert.Equal("plain", items[1].Data);
        Assert.StartsWith("retry: 10000\nevent: note\ndata: first line\ndata: second line\nid: a-1\n\n", WithoutHeartbeats(text), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drain_RefusesNewStreamsWith503_AndEndsOpenOnesWhenItsTimeIsUp()
    {
        var drain = _app.Services.GetRequiredService<StreamingChatDrain>();
        using var open = await _client.GetAsync("/held", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
        var body = await open.Content.ReadAsStreamAsync();
        Assert.Equal(1, drain.ActiveAnswers); // the drain waits for it

        drain.BeginDrain();
        using var refused = await _client.GetAsync("/ticks");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal("server_draining", JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
        Assert.NotNull(refused.Headers.RetryAfter);

        drain.EndRemainingAnswers();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var rest = await new StreamReader(body).ReadToEndAsync(timeout.Token); // ends: the stream was closed, not left open
        Assert.Contains("data: first\n", rest, StringComparison.Ordinal);
        await WaitUntilAsync(() => drain.ActiveAnswers == 0);
    }

    [Fact]
    public async Task Answer_OnAnOwnEndpoint_StreamsTheContractsEvents_AndLastEventIdResumesAfterIt()
    {
        _model.BeforeToken = async (i, ct) =>
        {
            if (i == 3)
            {
                await _release.Task.WaitAsync(ct);
            }
        };

        using var ask = new HttpRequestMessage(HttpMethod.Post, "/ask") { Content = JsonContent("""{"question":"Count to five.","session":"own-1"}""") };
        using var first = await _client.SendAsync(ask, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var head = await SseTestClient.ReadResponseAsync(first, TimeSpan.FromSeconds(10), e => e.Type == "token" && e.Id == "3");
        Assert.Equal(["start", "token", "token", "token"], head.Select(e => e.Type));
        Assert.Equal(["0", "1", "2", "3"], head.Select(e => e.Id));
        var messageId = head[0].Data.GetProperty("messageId").GetString()!;
        Assert.False(head[0].Data.TryGetProperty("sessionKey", out _)); // an own endpoint hands out no session key

        // The caller went away after event 3; the same answer is read again from after it.
        _release.TrySetResult();
        using var again = new HttpRequestMessage(HttpMethod.Get, $"/answers/{messageId}") { Headers = { { "Last-Event-ID", "3" } } };
        using var resumed = await _client.SendAsync(again, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        var tail = await SseTestClient.ReadResponseAsync(resumed, TimeSpan.FromSeconds(10));

        Assert.Equal(["4", "5", "6"], tail.Select(e => e.Id));
        Assert.Equal(["token", "token", "done"], tail.Select(e => e.Type));
        Assert.Equal("One two three four five.", string.Concat(head.Concat(tail).Where(e => e.Type == "token").Select(e => e.Data.GetProperty("text").GetString())));

        // A caller that has the terminal event already gets nothing more.
        using var after = new HttpRequestMessage(HttpMethod.Get, $"/answers/{messageId}") { Headers = { { "Last-Event-ID", "6" } } };
        using var nothing = await _client.SendAsync(after);
        Assert.Equal(HttpStatusCode.NoContent, nothing.StatusCode);
    }

    [Fact]
    public async Task OwnEndpoint_ProblemsAndJson_HaveTheProductsShapes()
    {
        using var notJson = await _client.PostAsync("/ask", new StringContent("question", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, notJson.StatusCode);
        Assert.Equal("unsupported_media_type", JsonDocument.Parse(await notJson.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());

        using var tooLarge = await _client.PostAsync("/ask", JsonContent("{\"question\":\"" + new string('x', 5000) + "\"}"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);

        using var broken = await _client.PostAsync("/ask", JsonContent("{\"question\":"));
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        Assert.Equal("invalid_request", JsonDocument.Parse(await broken.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());

        using var json = await _client.GetAsync("/own-json");
        Assert.Equal("no-store", json.Headers.CacheControl?.ToString());
        Assert.Equal("{\"said\":\"\\\"quoted\\\" <b>\"}", await json.Content.ReadAsStringAsync());
    }

    /// <summary>The stream without its heartbeat lines: a slow first event (a cold start) may come after one, as it may.</summary>
    private static string WithoutHeartbeats(string text) => text.Replace(": keep-alive\n", "", StringComparison.Ordinal);

    private static StringContent JsonContent(string json) => new(json, Encoding.UTF8, "application/json");

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    private static async IAsyncEnumerable<Tick> TicksAsync(int count, TimeSpan gap, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                await Task.Delay(gap, cancellationToken);
            }

            yield return new Tick(i, $"tick \"{i}\"");
        }
    }

    private static async IAsyncEnumerable<SseItem<string>> NotesAsync()
    {
        await Task.Yield();
        yield return new SseItem<string>("first line\nsecond line", "note") { EventId = "a-1", ReconnectionInterval = TimeSpan.FromSeconds(10) };
        yield return new SseItem<string>("plain");
    }

    private static async IAsyncEnumerable<string> HeldAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        yield return "first";
        await Task.Delay(Timeout.Infinite, cancellationToken);
        yield return "never";
    }
}
