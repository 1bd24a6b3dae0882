using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>
/// The console's pages and files, embedded in this assembly (no CDN, nothing fetched at run time; <see cref="ConsolePages"/>
/// finds them): the first page at the console's path, every other at its folder's name under it, their own scripts under
/// <c>pages/{name}/</c> and the shared ones under <c>assets/</c>. Served by endpoints of their own, with an ETag each and a
/// content security policy that lets them talk to this service only.
/// </summary>
internal static class ConsoleEndpoints
{
    // Only what the console needs: 'self' for scripts, styles, fetches; audio as data: URLs (spoken sentences).
    private const string SecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; media-src 'self' data: blob:; img-src 'self' data:; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Maps the console under <paramref name="path"/> ("/" or a path such as "/console").</summary>
    public static RouteGroupBuilder Map(IEndpointRouteBuilder endpoints, string path)
    {
        var basePath = "/" + path.Trim('/');
        var prefix = basePath == "/" ? "/" : basePath + "/";
        var group = endpoints.MapGroup(basePath).ExcludeFromDescription();

        // One endpoint for "/console" and "/console/" (routing matches both); the first is sent to the second, so the
        // pages' relative links resolve under the console.
        var console = ConsolePages.Embedded;
        var home = console.Pages[0];
        group.MapGet("/", (HttpContext context) => context.Request.Path.Value?.EndsWith('/') == false
            ? Results.Redirect(prefix + context.Request.QueryString)
            : Page(context, console, home, prefix));
        foreach (var page in console.Pages.Skip(1))
        {
            group.MapGet("/" + page.Name, (HttpContext context) => Page(context, console, page, prefix));
        }

        group.MapGet("/assets/{name}", (string name, HttpContext context) => File(context, console.Assets, name));
        group.MapGet("/pages/{page}/{name}", (string page, string name, HttpContext context) => File(context, console.PageFiles, page + "/" + name));
        group.MapGet("/chatbots.json", (IChatbotStore store, HttpContext context) => ChatbotsAsync(store, context.RequestAborted));
        return group;
    }

    private static IResult Page(HttpContext context, ConsolePages console, ConsolePage page, string prefix)
    {
        var html = Encoding.UTF8.GetString(console.PageFiles[page.Name + "/page.html"])
            .Replace("{{BASE}}", prefix, StringComparison.Ordinal)
            .Replace("{{NAV}}", console.Nav(page), StringComparison.Ordinal);
        return Serve(context, "page.html", Encoding.UTF8.GetBytes(html));
    }

    private static IResult File(HttpContext context, FrozenDictionary<string, byte[]> files, string name)
        => name.EndsWith(".html", StringComparison.Ordinal) || !files.TryGetValue(name, out var bytes) || !ContentTypes.ContainsKey(Path.GetExtension(name))
            ? Results.NotFound()
            : Serve(context, name, bytes);

    private static IResult Serve(HttpContext context, string name, byte[] bytes)
    {
        var etag = "\"" + Convert.ToHexString(SHA256.HashData(bytes), 0, 8) + "\"";
        var headers = context.Response.Headers;
        headers.ETag = etag;
        headers.CacheControl = "no-cache"; // revalidated each time: a new release's console is seen at once
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = SecurityPolicy;
        headers["Referrer-Policy"] = "no-referrer";
        if (context.Request.Headers.IfNoneMatch.ToString() == etag)
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        return Results.Bytes(bytes, ContentTypes[Path.GetExtension(name)]);
    }

    /// <summary>The enabled chatbots' ids and names, for the chat page's picker (nothing else of their definitions).</summary>
    private static async Task<IResult> ChatbotsAsync(IChatbotStore store, CancellationToken cancellationToken)
    {
        IReadOnlyList<ChatbotDefinition> chatbots;
        try
        {
            chatbots = await store.ListAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            chatbots = []; // the store away: the page offers what it kept
        }

        return Results.Json(chatbots.Where(c => c.Enabled).OrderBy(c => c.Id, StringComparer.Ordinal).Select(c => new { id = c.Id, name = c.Name }));
    }
}
