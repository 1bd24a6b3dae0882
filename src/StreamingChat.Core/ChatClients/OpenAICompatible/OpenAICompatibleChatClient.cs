using System.Net;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace StreamingChat.Core;

/// <summary>
/// Streams OpenAI-compatible chat completions (OpenAI itself, or a local Ollama, vLLM or LM Studio) straight into
/// <see cref="ChatResponseUpdate"/>s: <see cref="HttpClient"/> sends the body <c>ChatCompletionsRequest</c> writes, the
/// framework's <see cref="SseParser"/> reads the events, and <c>ChatCompletionChunkReader</c> reads each chunk's JSON in
/// one pass. Everything else (answers that are not streamed, tools, images, response formats: whatever the request
/// writer declines) goes to the fallback client underneath (an OpenAI SDK client, say), which also answers
/// <see cref="IChatClient.GetService"/>, so telemetry names the same provider either way.
/// </summary>
/// <remarks>
/// <para>
/// Why a client of our own for this one call: the OpenAI SDK builds its object model for every chunk (its parsed JSON,
/// the update made from it), about 3.6 KB for each relayed token, and holds a pipeline of a dozen awaiting policies for
/// each waiting stream. That was most of the sample host's managed CPU per token under load (a <c>perf</c> profile), and
/// it is what kept the host at twice a framework-only relay's CPU per 1,000 tokens at 200 concurrent chats. The same-run
/// figures, this client against the SDK (the sample host's <c>StreamingChat:Model:OpenAI:StreamingClient=Sdk</c>), are in
/// benchmarks/README.md.
/// </para>
/// <para>
/// It sends with the <see cref="HttpClient"/> named <see cref="HttpClientName"/> from <see cref="IHttpClientFactory"/>.
/// <c>AddOpenAICompatibleChatClient()</c> registers that client with a retry of 429 and 5xx, honouring
/// <c>Retry-After</c>, before the response starts (so before the first token), as the SDK's retry policy does.
/// </para>
/// </remarks>
public sealed class OpenAICompatibleChatClient : DelegatingChatClient
{
    /// <summary>The name of the <see cref="HttpClient"/> (from <see cref="IHttpClientFactory"/>) this client sends with.</summary>
    public const string HttpClientName = "StreamingChat.OpenAICompatible";

    private readonly IHttpClientFactory _httpClients;
    private readonly Uri _completions;
    private readonly AuthenticationHeaderValue _authorization;
    private readonly string _model;
    private readonly ILogger _logger;

    /// <summary>Creates the client.</summary>
    /// <param name="fallback">
    /// The client for every call this one does not stream itself (not streamed, tools, images, response formats), and
    /// for <see cref="IChatClient.GetService"/>.
    /// </param>
    /// <param name="httpClients">Where the <see cref="HttpClient"/> named <see cref="HttpClientName"/> comes from.</param>
    /// <param name="options">The API's endpoint, key and default model.</param>
    /// <param name="logger">Where a rate-limited request (429) that is given up is logged.</param>
    public OpenAICompatibleChatClient(IChatClient fallback, IHttpClientFactory httpClients, OpenAICompatibleOptions options, ILogger logger)
        : base(fallback)
    {
        ArgumentNullException.ThrowIfNull(httpClients);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Model);
        _httpClients = httpClients;
        var endpoint = string.IsNullOrWhiteSpace(options.Endpoint) ? OpenAICompatibleOptions.OpenAIEndpoint : options.Endpoint;
        _completions = new Uri(endpoint.TrimEnd('/') + "/chat/completions");
        _authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        _model = options.Model;
        _logger = logger;
    }

    /// <inheritdoc/>
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        => ChatCompletionsRequest.CanWrite(messages, options)
            ? StreamAsync(ChatCompletionsRequest.Write(messages, options, _model), cancellationToken)
            : base.GetStreamingResponseAsync(messages, options, cancellationToken);

    private async IAsyncEnumerable<ChatResponseUpdate> StreamAsync(byte[] body, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _completions) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = JsonContentType;
        request.Headers.Authorization = _authorization;
        request.Headers.Accept.Add(EventStreamAccept);

        // Disposed when the stream ends, fails or is given up: a response not read to its end closes its connection,
        // so an answer nobody waits for any more stops costing the provider tokens.
        using var response = await _httpClients.CreateClient(HttpClientName)
            .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Log.UpstreamRateLimited(_logger, "giving up", response.Headers.RetryAfter?.ToString() ?? "not given");
            }

            throw new HttpRequestException(HttpRequestError.Unknown, $"The model provider answered {(int)response.StatusCode}.", null, response.StatusCode);
        }

        var chunks = new ChatCompletionChunkReader();
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var parser = SseParser.Create(stream, (_, data) => chunks.Read(data));
        await foreach (var item in parser.EnumerateAsync(cancellationToken).ConfigureAwait(false))
        {
            if (item.Data is { } update)
            {
                yield return update;
            }

            if (chunks.Done)
            {
                yield break;
            }
        }
    }

    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json");
    private static readonly MediaTypeWithQualityHeaderValue EventStreamAccept = new("text/event-stream");
}
