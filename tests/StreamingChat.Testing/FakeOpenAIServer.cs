using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace StreamingChat.Testing;

/// <summary>
/// An OpenAI-compatible chat completions server on loopback for tests: streams <c>chat.completion.chunk</c> events
/// as the real API does, at a settable pace, and fails on demand (HTTP 429 or 5xx, or a connection cut in the middle of
/// a stream). Each request takes the next queued <see cref="FakeCompletion"/>, or <see cref="Default"/> when none is queued.
/// </summary>
public sealed class FakeOpenAIServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<FakeCompletion> _script = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentQueue<RecordedRequest> _speechRequests = new();

    private FakeOpenAIServer(WebApplication app) => _app = app;

    /// <summary>The base URL to configure as the OpenAI endpoint (ends in <c>/v1</c>).</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>What a request gets when nothing is queued.</summary>
    public FakeCompletion Default { get; set; } = new();

    /// <summary>When set and nothing is queued, decides what a request gets from the request itself (else <see cref="Default"/>).</summary>
    public Func<RecordedRequest, FakeCompletion?>? Responder { get; set; }

    /// <summary>When set, <c>GET /v1/models</c> answers this status instead of the list.</summary>
    public int? ModelsStatus { get; set; }

    /// <summary>Every chat completion request received, in order.</summary>
    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    /// <summary>Every speech request (<c>POST /v1/audio/speech</c>) received, in order.</summary>
    public IReadOnlyList<RecordedRequest> SpeechRequests => [.. _speechRequests];

    /// <summary>The audio <c>POST /v1/audio/speech</c> answers with (a tiny WAV unless set).</summary>
    public byte[] SpeechAudio { get; set; } = TinyWav;

    /// <summary>A valid WAV of 8 silent samples.</summary>
    public static byte[] TinyWav { get; } = Convert.FromBase64String("UklGRjQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YRAAAAAAAAAAAAAAAAAAAAAAAAAA");

    /// <summary>Starts a server on 127.0.0.1 with a free port.</summary>
    public static async Task<FakeOpenAIServer> StartAsync()
    {
        FakeOpenAIServer server = null!;
        var (app, address) = await LoopbackWebApp.StartAsync(app =>
        {
            server = new FakeOpenAIServer(app);
            app.MapPost("/v1/chat/completions", server.HandleAsync);
            app.MapPost("/v1/audio/speech", async (HttpContext context) =>
            {
                var body = await JsonNode.ParseAsync(context.Request.Body);
                server._speechRequests.Enqueue(new RecordedRequest(context.Request.Headers.Authorization.ToString(), body!));
                return Results.Bytes(server.SpeechAudio, "audio/wav");
            });
            app.MapGet("/v1/models", (HttpContext context) => server.ModelsStatus is { } failure
                ? Results.StatusCode(failure)
                : Results.Json(new { @object = "list", data = new[] { new { id = "fake-model", @object = "model", created = 0, owned_by = "fake" } } }));
        });
        server.Endpoint = new Uri(address, "v1");
        return server;
    }

    /// <summary>Queues what the next request gets.</summary>
    public FakeCompletion Enqueue(FakeCompletion completion)
    {
        _script.Enqueue(completion);
        return completion;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var body = await JsonNode.ParseAsync(context.Request.Body);
        var request = new RecordedRequest(context.Request.Headers.Authorization.ToString(), body!);
        var completion = _script.TryDequeue(out var next) ? next : Responder?.Invoke(request) ?? Default;
        _requests.Enqueue(request);
        completion.Requests.Enqueue(request);
        var aborted = context.RequestAborted;
        aborted.Register(() => completion.ConnectionClosed.TrySetResult());
        completion.Received.TrySetResult();

        if (completion.FailStatus is { } status)
        {
            context.Response.StatusCode = status;
            if (completion.RetryAfter is { } retryAfter)
            {
                context.Response.Headers.RetryAfter = retryAfter;
            }

            await context.Response.WriteAsJsonAsync(new { error = new { message = "fake failure", type = "server_error", code = status.ToString(System.Globalization.CultureInfo.InvariantCulture) } });
            return;
        }

        var model = body!["model"]?.GetValue<string>() ?? "fake-model";
        context.Response.ContentType = "text/event-stream";
        await context.Response.StartAsync(aborted);
        try
        {
            await Task.Delay(completion.FirstTokenDelay, aborted);
            foreach (var piece in completion.Reasoning)
            {
                // As DeepSeek, vLLM and other compatible servers send reasoning: a delta member beside content.
                await WriteChunkAsync(context, Chunk(model, new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = new JsonObject { [completion.ReasoningField] = piece }, ["finish_reason"] = null })), aborted);
            }

            for (var i = 0; i < completion.Tokens.Count; i++)
            {
                if (completion.AbortAfterTokens == i)
                {
                    // Cut only once the client has read what was sent: a reset discards unread data, which would turn
                    // a cut in the middle of a stream into a failure before the first token. With a gate, the test says
                    // when (after it saw the tokens); without one, a pause stands in.
                    if (completion.Gate is { } cutGate)
                    {
                        await cutGate.WaitAsync(aborted);
                    }
                    else
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(300), aborted);
                    }

                    context.Abort();
                    return;
                }

                if (i > 0 && completion.TokenInterval > TimeSpan.Zero)
                {
                    await Task.Delay(completion.TokenInterval, aborted);
                }

                if (completion.Gate is { } gate)
                {
                    await gate.WaitAsync(aborted);
                }

                var delta = i == 0
                    ? new JsonObject { ["role"] = "assistant", ["content"] = completion.Tokens[i] }
                    : new JsonObject { ["content"] = completion.Tokens[i] };

                // Counted before it is written: once flushed, the caller may see the token before this line would run.
                completion.Sent = i + 1;
                await WriteChunkAsync(context, Chunk(model, new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = null })), aborted);
            }

            await WriteToolCallsAsync(context, model, completion.ToolCalls, aborted);
            var finishReason = completion.ToolCalls.Count > 0 ? "tool_calls" : completion.FinishReason;
            await WriteChunkAsync(context, Chunk(model, new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = new JsonObject(), ["finish_reason"] = finishReason })), aborted);
            var usage = Chunk(model, []);
            usage["usage"] = new JsonObject { ["prompt_tokens"] = completion.PromptTokens, ["completion_tokens"] = completion.Tokens.Count, ["total_tokens"] = completion.PromptTokens + completion.Tokens.Count };
            await WriteChunkAsync(context, usage, aborted);
            await context.Response.WriteAsync("data: [DONE]\n\n", aborted);
            await context.Response.Body.FlushAsync(aborted);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Each call as the OpenAI API streams it: a first delta with its index, id, type and name, then its arguments in pieces
    /// of a few characters, each a delta of the same index.
    /// </summary>
    private static async Task WriteToolCallsAsync(HttpContext context, string model, IReadOnlyList<FakeToolCall> calls, CancellationToken cancellationToken)
    {
        for (var index = 0; index < calls.Count; index++)
        {
            var call = calls[index];
            var first = new JsonObject { ["index"] = index, ["id"] = call.Id, ["type"] = "function", ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = "" } };
            await WriteChunkAsync(context, Chunk(model, new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = new JsonObject { ["tool_calls"] = new JsonArray(first) }, ["finish_reason"] = null })), cancellationToken);
            for (var at = 0; at < call.Arguments.Length; at += 5)
            {
                var piece = call.Arguments.Substring(at, Math.Min(5, call.Arguments.Length - at));
                var delta = new JsonObject { ["index"] = index, ["function"] = new JsonObject { ["arguments"] = piece } };
                await WriteChunkAsync(context, Chunk(model, new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = new JsonObject { ["tool_calls"] = new JsonArray(delta) }, ["finish_reason"] = null })), cancellationToken);
            }
        }
    }

    private static JsonObject Chunk(string model, JsonArray choices) => new()
    {
        ["id"] = "chatcmpl-fake",
        ["object"] = "chat.completion.chunk",
        ["created"] = 1_700_000_000,
        ["model"] = model,
        ["choices"] = choices,
    };

    private static async Task WriteChunkAsync(HttpContext context, JsonObject chunk, CancellationToken cancellationToken)
    {
        await context.Response.WriteAsync("data: " + chunk.ToJsonString() + "\n\n", Encoding.UTF8, cancellationToken);
        await context.Response.Body.FlushAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>What one request to <see cref="FakeOpenAIServer"/> gets.</summary>
public sealed class FakeCompletion
{
    /// <summary>The content pieces streamed, one chunk each.</summary>
    public IReadOnlyList<string> Tokens { get; init; } = ["Hel", "lo", " from", " the", " fake", "!"];

    /// <summary>Wait before the first chunk.</summary>
    public TimeSpan FirstTokenDelay { get; init; }

    /// <summary>Wait between chunks.</summary>
    public TimeSpan TokenInterval { get; init; }

    /// <summary>Answer with this HTTP status (429, 500, 503 …) and an error body instead of a stream.</summary>
    public int? FailStatus { get; init; }

    /// <summary>The <c>Retry-After</c> header sent with <see cref="FailStatus"/>.</summary>
    public string? RetryAfter { get; init; }

    /// <summary>Cut the connection after this many chunks.</summary>
    public int? AbortAfterTokens { get; init; }

    /// <summary>When set, each chunk waits for one release of the gate: the test decides when the next one goes.</summary>
    public SemaphoreSlim? Gate { get; init; }

    /// <summary>The finish reason of the last chunk.</summary>
    public string FinishReason { get; init; } = "stop";

    /// <summary>Reasoning pieces streamed before the content, one chunk each.</summary>
    public IReadOnlyList<string> Reasoning { get; init; } = [];

    /// <summary>The delta member reasoning is sent in: <c>reasoning_content</c> (DeepSeek, vLLM) or <c>reasoning</c> (OpenRouter, Ollama).</summary>
    public string ReasoningField { get; init; } = "reasoning_content";

    /// <summary>Tool calls streamed after the content, as <c>tool_calls</c> deltas; the finish reason is then <c>tool_calls</c>.</summary>
    public IReadOnlyList<FakeToolCall> ToolCalls { get; init; } = [];

    /// <summary>The prompt tokens reported in the usage chunk.</summary>
    public int PromptTokens { get; init; } = 12;

    /// <summary>How many content chunks the server has begun to send.</summary>
    public int Sent { get => Volatile.Read(ref _sent); internal set => Volatile.Write(ref _sent, value); }

    private int _sent;

    /// <summary>Completes when the request arrives.</summary>
    public TaskCompletionSource Received { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the client closes the connection (or the server cuts it).</summary>
    public TaskCompletionSource ConnectionClosed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The requests this completion answered.</summary>
    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();
}

/// <summary>A tool call the fake server streams.</summary>
/// <param name="Id">The call's id.</param>
/// <param name="Name">The tool.</param>
/// <param name="Arguments">The arguments' JSON text, as the model writes it (it may be malformed).</param>
public sealed record FakeToolCall(string Id, string Name, string Arguments);

/// <summary>A request the fake server received.</summary>
/// <param name="Authorization">The Authorization header.</param>
/// <param name="Body">The JSON body.</param>
public sealed record RecordedRequest(string Authorization, JsonNode Body)
{
    /// <summary>The model asked for.</summary>
    public string? Model => Body["model"]?.GetValue<string>();

    /// <summary>The prompt as (role, content) pairs.</summary>
    public IReadOnlyList<(string Role, string Content)> Messages
        => [.. Body["messages"]!.AsArray().Select(m => (m!["role"]!.GetValue<string>(), ContentOf(m!["content"])))];

    /// <summary>Whether the last message is a tool's result: the model is being asked again after a tool ran.</summary>
    public bool AfterTool => Body["messages"] is JsonArray messages && messages.Count > 0 && messages[^1]?["role"]?.GetValue<string>() == "tool";

    /// <summary>The text of the last user message.</summary>
    public string LastQuestion => Messages.LastOrDefault(m => m.Role == "user").Content ?? "";

    /// <summary>The names of the tools offered.</summary>
    public IReadOnlyList<string> ToolNames
        => Body["tools"] is JsonArray tools ? [.. tools.Select(t => t!["function"]!["name"]!.GetValue<string>())] : [];

    private static string ContentOf(JsonNode? content) => content switch
    {
        JsonValue v => v.GetValue<string>(),
        JsonArray parts => string.Concat(parts.Select(p => p?["text"]?.GetValue<string>() ?? "")),
        _ => "",
    };
}
