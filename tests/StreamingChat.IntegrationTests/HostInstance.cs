using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using ChatbotHost;
using Microsoft.AspNetCore.Builder;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>The sample host running in this process on Kestrel, bound to a free port on 127.0.0.1.</summary>
public sealed class HostInstance : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HostInstance(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>Where the host listens.</summary>
    public Uri Address { get; }

    /// <summary>A client for the host.</summary>
    public HttpClient Client { get; }

    /// <summary>The host's services.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Starts the host with <c>--key=value</c> settings on top of its appsettings.json.</summary>
    public static async Task<HostInstance> StartAsync(params string[] settings)
    {
        // The CPU rule is off here: a test machine running suites in parallel is busy by design, and the rule has unit tests.
        string[] args = ["--urls=http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning", "--StreamingChat:Model:Provider=Offline", "--StreamingChat:Health:MaxCpuShare=1", .. settings];
        var app = ChatbotHostApp.Build(args);
        await app.StartAsync();
        return new HostInstance(app, new Uri(app.Urls.First()));
    }

    /// <summary>Starts the host answering with the real OpenAI client against <paramref name="upstream"/>.</summary>
    public static Task<HostInstance> StartWithUpstreamAsync(FakeOpenAIServer upstream, params string[] settings)
        => StartAsync([
            "--StreamingChat:Model:Provider=OpenAI",
            "--StreamingChat:Model:OpenAI:ApiKey=test-key",
            $"--StreamingChat:Model:OpenAI:Endpoint={upstream.Endpoint}",
            "--StreamingChat:Model:OpenAI:Model=fake-model",
            "--StreamingChat:Model:OpenAI:MaxRetries=0",
            .. settings]);

    /// <summary>The session keys this client was given, by session, sent back as a browser page would keep and send them.</summary>
    public ConcurrentDictionary<string, string> SessionKeys { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Posts a question to the stream endpoint and returns the response once its headers arrived. Like a page, it sends the
    /// key it holds for the body's session and keeps the key the answer hands back.
    /// </summary>
    public Task<HttpResponseMessage> PostStreamAsync(object body, CancellationToken cancellationToken = default)
        => PostChatAsync("/api/chat/query/stream", body, cancellationToken: cancellationToken);

    /// <summary>Posts <paramref name="body"/> to a chat endpoint with the session's key held, and keeps the key handed back.</summary>
    public async Task<HttpResponseMessage> PostChatAsync(string path, object body, Action<HttpRequestMessage>? configure = null, CancellationToken cancellationToken = default)
    {
        var sessionId = JsonSerializer.SerializeToElement(body).TryGetProperty("sessionId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (sessionId is not null && SessionKeys.TryGetValue(sessionId, out var key))
        {
            request.Headers.Add("X-Session-Key", key);
        }

        configure?.Invoke(request);
        var response = await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (sessionId is not null && response.Headers.TryGetValues("X-Session-Key", out var keys))
        {
            SessionKeys[sessionId] = keys.First();
        }

        return response;
    }

    /// <summary>Asks a question and reads the whole stream.</summary>
    public async Task<List<ReceivedEvent>> AskAsync(string query, string sessionId = "s1", string chatbotId = "demo")
    {
        using var response = await PostStreamAsync(new { query, chatbotId, sessionId });
        response.EnsureSuccessStatusCode();
        var events = new List<ReceivedEvent>();
        await foreach (var e in SseTestClient.ReadEventsAsync(await response.Content.ReadAsStreamAsync()))
        {
            events.Add(e);
        }

        return events;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
