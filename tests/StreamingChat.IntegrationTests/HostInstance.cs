using System.Net.Http.Json;
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

    /// <summary>Posts a question to the stream endpoint and returns the response once its headers arrived.</summary>
    public Task<HttpResponseMessage> PostStreamAsync(object body, CancellationToken cancellationToken = default)
        => Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/chat/query/stream") { Content = JsonContent.Create(body) }, HttpCompletionOption.ResponseHeadersRead, cancellationToken);

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
