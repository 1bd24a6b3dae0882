using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Server;

namespace StreamingChat.IntegrationTests;

/// <summary>An MCP server (ModelContextProtocol.AspNetCore, Streamable HTTP) on a free loopback port, serving the tools a test gives it.</summary>
internal sealed class McpTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private McpTestServer(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    /// <summary>The server's MCP endpoint.</summary>
    public Uri Endpoint { get; }

    /// <summary>Starts a server with <paramref name="tools"/>.</summary>
    public static async Task<McpTestServer> StartAsync(params McpServerTool[] tools)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Services.AddMcpServer().WithHttpTransport().WithTools(tools);
        var app = builder.Build();
        app.MapMcp("/mcp");
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return new McpTestServer(app, new Uri(address + "/mcp"));
    }

    /// <summary>Stops answering: its tools' chatbots go on without them.</summary>
    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
