using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace StreamingChat.LoadTest;

/// <summary>How the fake upstream answers.</summary>
/// <param name="Tokens">Tokens per answer.</param>
/// <param name="Interval">Time between tokens (zero: back to back).</param>
/// <param name="FirstTokenDelay">Time before the first token.</param>
internal sealed record UpstreamPace(int Tokens, TimeSpan Interval, TimeSpan FirstTokenDelay);

/// <summary>
/// An OpenAI-compatible chat completions server on loopback, in this process, so that the send time of each token can be
/// written into the token itself (<c>t{stopwatch ticks} </c>) and read back by the clients on the same clock: the
/// latency a relay adds is then measured per token, for the host and for the floor (a client reading this server directly).
/// </summary>
internal sealed class FakeUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeUpstream(WebApplication app) => _app = app;

    public UpstreamPace Pace { get; set; } = new(100, TimeSpan.Zero, TimeSpan.Zero);

    /// <summary>
    /// Whether a request that offers tools and has no tool result yet is answered with a <c>get_time</c> call instead of
    /// tokens: the host then runs the tool and asks again, one tool round per answer (the floor's requests offer no tools).
    /// </summary>
    public bool ToolRound { get; set; }

    public Uri Endpoint { get; private set; } = null!;

    public static async Task<FakeUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Limits.MaxConcurrentConnections = null).UseUrls("http://127.0.0.1:0");
        builder.Services.Configure<KestrelServerOptions>(o => o.AllowSynchronousIO = false);
        var app = builder.Build();
        var upstream = new FakeUpstream(app);
        app.MapPost("/v1/chat/completions", upstream.CompleteAsync);
        app.MapGet("/v1/models", () => Results.Json(new { @object = "list", data = new[] { new { id = "fake-model", @object = "model", created = 0, owned_by = "fake" } } }));
        await app.StartAsync();
        upstream.Endpoint = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/v1");
        return upstream;
    }

    /// <summary>Reads a token written by this server: its send time in stopwatch ticks.</summary>
    public static long SentAt(ReadOnlySpan<char> token)
    {
        var start = token.IndexOf('t');
        var end = token.LastIndexOf(' ');
        return start >= 0 && end > start && long.TryParse(token[(start + 1)..end], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) ? ticks : 0;
    }

    private async Task CompleteAsync(HttpContext context)
    {
        var pace = Pace;
        var aborted = context.RequestAborted;
        var askForTool = false;
        if (ToolRound)
        {
            using var reader = new StreamReader(context.Request.Body);
            var request = await reader.ReadToEndAsync(aborted);
            askForTool = request.Contains("\"tools\"", StringComparison.Ordinal) && !request.Contains("\"role\":\"tool\"", StringComparison.Ordinal);
        }
        else
        {
            await context.Request.Body.CopyToAsync(Stream.Null, aborted);
        }

        context.Response.ContentType = "text/event-stream";
        var body = context.Response.BodyWriter;
        try
        {
            if (askForTool)
            {
                body.Write("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"fake-model\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"arguments\":\"{\\\"zone\\\":\\\"UTC\\\"}\"}}]},\"finish_reason\":null}]}\n\n"u8);
                body.Write("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"fake-model\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n"u8);
                await body.FlushAsync(aborted);
                return;
            }

            if (pace.FirstTokenDelay > TimeSpan.Zero)
            {
                await Task.Delay(pace.FirstTokenDelay, aborted);
            }

            for (var i = 0; i < pace.Tokens; i++)
            {
                if (i > 0 && pace.Interval > TimeSpan.Zero)
                {
                    await Task.Delay(pace.Interval, aborted);
                }

                var line = string.Create(CultureInfo.InvariantCulture,
                    $"data: {{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"fake-model\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"t{Stopwatch.GetTimestamp()} \"}},\"finish_reason\":null}}]}}\n\n");
                body.Write(Encoding.UTF8.GetBytes(line));
                await body.FlushAsync(aborted);
            }

            body.Write("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"fake-model\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":1,\"total_tokens\":11}}\n\ndata: [DONE]\n\n"u8);
            await body.FlushAsync(aborted);
        }
        catch (OperationCanceledException)
        {
            // The reader left.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
