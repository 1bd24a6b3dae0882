using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace StreamingChat.AspNetCore.Tests;

/// <summary>
/// The console's pages are its folders (<see cref="ConsolePages"/>): each one found, mapped, listed in every page's nav with
/// itself marked, and its own files served from its folder, on Kestrel over loopback.
/// </summary>
public sealed partial class ConsolePagesServerTests : IAsyncLifetime
{
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Services.AddStreamingChat(builder.Configuration);
        _app = builder.Build();
        _app.MapStreamingChatConsole("/console");
        await _app.StartAsync();
        _client = new HttpClient { BaseAddress = new Uri(_app.Urls.First()), Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public void EveryPageFolder_IsAPage_InItsOrder()
    {
        var pages = ConsolePages.Embedded.Pages;
        Assert.Equal(["chat", "ops"], pages.Select(p => p.Name));
        Assert.Equal(["Chat", "Operations"], pages.Select(p => p.Label));
    }

    [Fact]
    public async Task EveryPage_IsServed_WithANavOfAllPages_ItselfMarked_AndItsOwnScripts()
    {
        foreach (var page in ConsolePages.Embedded.Pages)
        {
            var path = page == ConsolePages.Embedded.Pages[0] ? "/console/" : "/console/" + page.Name;
            var html = await _client.GetStringAsync(path);
            var nav = Nav().Match(html).Groups[1].Value;
            Assert.Equal(ConsolePages.Embedded.Pages.Select(p => p.Label), Links().Matches(nav).Select(m => m.Groups[2].Value));
            Assert.Equal([page.Label], Links().Matches(nav).Where(m => m.Groups[1].Value.Length > 0).Select(m => m.Groups[2].Value));
            Assert.DoesNotContain("{{", html, StringComparison.Ordinal);

            foreach (Match script in Scripts().Matches(html))
            {
                using var response = await _client.GetAsync("/console/" + script.Groups[1].Value);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
            }
        }
    }

    [Fact]
    public async Task APagesHtml_IsNotServedAsAFile_NorIsAnythingOutsideThePages()
    {
        foreach (var path in new[] { "/console/pages/ops/page.html", "/console/pages/ops/missing.js", "/console/pages/nothing/ops.js", "/console/assets/page.html" })
        {
            using var response = await _client.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    [GeneratedRegex("""<nav aria-label="Console pages">(.*?)</nav>""")]
    private static partial Regex Nav();

    [GeneratedRegex("""<a href="[^"]*"( aria-current="page")?>([^<]*)</a>""")]
    private static partial Regex Links();

    [GeneratedRegex("""<script type="module" src="([^"]+)"></script>""")]
    private static partial Regex Scripts();
}
