using System.ComponentModel;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.AI;
using StreamingChat.Core;

namespace ChatbotHost.Tools;

/// <summary>
/// The sample's two tools for the <c>demo</c> chatbot (its <c>Tools</c> in appsettings.json names them): <c>get_time</c>,
/// which runs at once, and <c>open_ticket</c>, which waits for a person's approval and counts each run in the
/// <c>streamingchat.demo.tickets_opened</c> counter. The offline model calls them for questions with "time" and "ticket".
/// </summary>
internal static class DemoTools
{
    /// <summary>Adds both tools to <paramref name="chat"/>.</summary>
    public static StreamingChatBuilder AddDemoTools(this StreamingChatBuilder chat)
    {
        // The MCP servers chatbots may name (StreamingChat:Mcp:Servers): their tools beside these.
        chat.Services.AddOptions<McpOptions>().BindConfiguration(McpOptions.SectionName)
            .Validate(o => o.Servers.Values.All(server => server.Endpoint is { IsAbsoluteUri: true, Scheme: "http" or "https" }), "StreamingChat:Mcp:Servers:{name}:Endpoint must be an absolute http or https address.")
            .Validate(o => o.ToolListSeconds is > 0 and <= 86_400, "StreamingChat:Mcp:ToolListSeconds must be more than 0 and at most 86400.")
            .ValidateOnStart();
        chat.AddToolSource<McpToolSource>();
        chat.Services.AddSingleton<TicketCounter>();
        chat.AddTool(AIFunctionFactory.Create(GetTime, "get_time", "The current date and time in UTC."));
        chat.AddTool(new ApprovalRequiredAIFunction(AIFunctionFactory.Create(OpenTicket, "open_ticket", "Opens a support ticket with a title; a person approves it first.")));
        return chat;
    }

    private static object GetTime([Description("The time zone; only UTC is known.")] string? zone, IServiceProvider services)
    {
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        return new { utc = now.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), zone = "UTC" };
    }

    private static object OpenTicket([Description("What the ticket is about.")] string title, IServiceProvider services)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        var ticket = services.GetRequiredService<TicketCounter>().Open();
        return new { ticketId = ticket, title };
    }

    /// <summary>Numbers tickets and counts them on the <c>StreamingChat</c> meter.</summary>
    internal sealed class TicketCounter(StreamingChatMetrics metrics)
    {
        private readonly Counter<long> _opened = metrics.Meter.CreateCounter<long>("streamingchat.demo.tickets_opened", "{ticket}", "Tickets the demo's open_ticket tool opened.");
        private long _next;

        public string Open()
        {
            _opened.Add(1);
            return "T-" + Interlocked.Increment(ref _next).ToString("D5", CultureInfo.InvariantCulture);
        }
    }
}
