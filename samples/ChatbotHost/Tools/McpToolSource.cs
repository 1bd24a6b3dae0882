using System.Collections.Concurrent;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Client;
using StreamingChat.Core;

namespace ChatbotHost.Tools;

/// <summary>The MCP servers chatbots may use, bound from <c>StreamingChat:Mcp</c>.</summary>
public sealed class McpOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "StreamingChat:Mcp";

    /// <summary>
    /// The servers, by the name chatbots use for them (a chatbot's <c>McpServers</c>): only the operator names addresses, so a
    /// chatbot document can never point the service at a host of its own choosing.
    /// </summary>
    public Dictionary<string, McpServerOptions> Servers { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How long a server's list of tools is kept before it is asked again (default 60 s).</summary>
    public double ToolListSeconds { get; set; } = 60;
}

/// <summary>One MCP server.</summary>
public sealed class McpServerOptions
{
    /// <summary>The server's Streamable HTTP (or SSE) endpoint.</summary>
    public Uri? Endpoint { get; set; }
}

/// <summary>
/// The tools of the MCP servers a chatbot names (Microsoft's ModelContextProtocol client, over HTTP): one client per
/// server for the process, its tool list kept for <see cref="McpOptions.ToolListSeconds"/>. A server that cannot be reached
/// is asked again on the next question; until then its chatbots answer without its tools (Core logs it).
/// </summary>
internal sealed class McpToolSource(IOptions<McpOptions> options, ILoggerFactory loggerFactory, TimeProvider time) : IChatToolSource, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<McpClient>>> _clients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (DateTimeOffset Until, IReadOnlyList<AITool> Tools)> _tools = new(StringComparer.Ordinal);

    public async ValueTask<IReadOnlyList<AITool>> GetToolsAsync(ChatbotDefinition chatbot, CancellationToken cancellationToken)
    {
        if (chatbot.McpServers.Count == 0)
        {
            return [];
        }

        var tools = new List<AITool>();
        foreach (var name in chatbot.McpServers)
        {
            if (!options.Value.Servers.TryGetValue(name, out var server) || server.Endpoint is null)
            {
                throw new InvalidOperationException($"Chatbot {chatbot.Id} names the MCP server '{name}', which StreamingChat:Mcp:Servers does not configure.");
            }

            tools.AddRange(await ToolsOfAsync(name, server.Endpoint, cancellationToken).ConfigureAwait(false));
        }

        return tools;
    }

    private async Task<IReadOnlyList<AITool>> ToolsOfAsync(string name, Uri endpoint, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_tools.TryGetValue(name, out var kept) && kept.Until > now)
        {
            return kept.Tools;
        }

        var connecting = _clients.GetOrAdd(name, _ => new Lazy<Task<McpClient>>(() => ConnectAsync(name, endpoint)));
        try
        {
            var client = await connecting.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            IReadOnlyList<AITool> tools = [.. await client.ListToolsAsync(cancellationToken: cancellationToken).ConfigureAwait(false)];
            _tools[name] = (now + TimeSpan.FromSeconds(options.Value.ToolListSeconds), tools);
            return tools;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The next question connects again.
            _clients.TryRemove(new KeyValuePair<string, Lazy<Task<McpClient>>>(name, connecting));
            throw;
        }
    }

    private Task<McpClient> ConnectAsync(string name, Uri endpoint)
        => McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = endpoint, Name = name }, loggerFactory), loggerFactory: loggerFactory);

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values)
        {
            if (client.IsValueCreated && client.Value.IsCompletedSuccessfully)
            {
                await client.Value.Result.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
