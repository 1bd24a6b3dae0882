using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace StreamingChat.Testing;

/// <summary>
/// Google Cloud Text-to-Speech's REST method <c>POST /v1/text:synthesize</c> on loopback for tests: records each request
/// (its API key header and JSON body) and answers <c>{"audioContent": base64}</c>, or fails on demand.
/// </summary>
public sealed class FakeGoogleSpeechServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(string? ApiKey, JsonNode Body)> _requests = new();

    private FakeGoogleSpeechServer(WebApplication app) => _app = app;

    /// <summary>The base URL to configure as the endpoint.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>The audio every request gets.</summary>
    public byte[] Audio { get; set; } = FakeOpenAIServer.TinyWav;

    /// <summary>When set, requests fail with this status.</summary>
    public int? FailStatus { get; set; }

    /// <summary>Every request received: the <c>X-Goog-Api-Key</c> header and the body.</summary>
    public IReadOnlyList<(string? ApiKey, JsonNode Body)> Requests => [.. _requests];

    /// <summary>Starts a server on 127.0.0.1 with a free port.</summary>
    public static async Task<FakeGoogleSpeechServer> StartAsync()
    {
        FakeGoogleSpeechServer server = null!;
        var (_, address) = await LoopbackWebApp.StartAsync(app =>
        {
            server = new FakeGoogleSpeechServer(app);
            app.MapPost("/v1/text:synthesize", async (HttpContext context) =>
            {
                var body = await JsonNode.ParseAsync(context.Request.Body);
                server._requests.Enqueue((context.Request.Headers["X-Goog-Api-Key"].FirstOrDefault(), body!));
                return server.FailStatus is { } status
                    ? Results.Json(new { error = new { code = status, message = "failing on purpose" } }, statusCode: status)
                    : Results.Json(new { audioContent = Convert.ToBase64String(server.Audio) });
            });
        });
        server.Endpoint = address;
        return server;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
