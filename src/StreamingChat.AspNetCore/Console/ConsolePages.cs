using System.Collections.Frozen;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace StreamingChat.AspNetCore;

/// <summary>
/// The console's files, embedded in this assembly: the shared ones (<c>Console/assets/</c>, served under <c>assets/</c>)
/// and one folder per page (<c>Console/pages/{name}/</c>: <c>page.html</c> and the page's own scripts, served under
/// <c>pages/{name}/</c>). A page names itself in its <c>page.html</c>
/// (<c>&lt;meta name="console-page" content="Label" data-order="20"&gt;</c>); the first in order is the console's home,
/// the others are at <c>{name}</c> under it, and every page's <c>{{NAV}}</c> lists them all. So a page is one folder.
/// </summary>
internal sealed partial class ConsolePages
{
    private const string AssetPrefix = "StreamingChat.AspNetCore.Console.assets.";
    private const string PagePrefix = "StreamingChat.AspNetCore.Console.pages/";

    private ConsolePages(FrozenDictionary<string, byte[]> assets, FrozenDictionary<string, byte[]> pageFiles, IReadOnlyList<ConsolePage> pages)
    {
        Assets = assets;
        PageFiles = pageFiles;
        Pages = pages;
    }

    /// <summary>The shared files by name (<c>console.css</c>).</summary>
    public FrozenDictionary<string, byte[]> Assets { get; }

    /// <summary>The pages' files by <c>{page}/{file}</c>.</summary>
    public FrozenDictionary<string, byte[]> PageFiles { get; }

    /// <summary>The pages, in order: the first is the home.</summary>
    public IReadOnlyList<ConsolePage> Pages { get; }

    /// <summary>The pages of this assembly.</summary>
    public static ConsolePages Embedded { get; } = Read(typeof(ConsolePages).Assembly);

    /// <summary>The links of the console's nav, <paramref name="current"/> marked as the current page.</summary>
    public string Nav(ConsolePage current)
        => string.Concat(Pages.Select(page => string.Create(CultureInfo.InvariantCulture,
            $"<a href=\"{(page == Pages[0] ? "./" : page.Name)}\"{(page == current ? " aria-current=\"page\"" : "")}>{WebUtility.HtmlEncode(page.Label)}</a>")));

    private static ConsolePages Read(System.Reflection.Assembly assembly)
    {
        var assets = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (resource.StartsWith(AssetPrefix, StringComparison.Ordinal))
            {
                assets[resource[AssetPrefix.Length..]] = ReadAll(assembly, resource);
            }
            else if (resource.StartsWith(PagePrefix, StringComparison.Ordinal))
            {
                files[resource[PagePrefix.Length..].Replace('\\', '/')] = ReadAll(assembly, resource);
            }
        }

        var pages = files
            .Where(f => f.Key.EndsWith("/page.html", StringComparison.Ordinal))
            .Select(f => Describe(f.Key[..f.Key.IndexOf('/', StringComparison.Ordinal)], f.Value))
            .OrderBy(p => p.Order).ThenBy(p => p.Name, StringComparer.Ordinal)
            .ToList();
        return new ConsolePages(assets.ToFrozenDictionary(StringComparer.Ordinal), files.ToFrozenDictionary(StringComparer.Ordinal), pages);
    }

    private static ConsolePage Describe(string name, byte[] html)
    {
        var found = PageMeta().Match(System.Text.Encoding.UTF8.GetString(html));
        if (!found.Success)
        {
            throw new InvalidOperationException($"The console page '{name}' has no <meta name=\"console-page\" content=\"…\" data-order=\"…\"> in its page.html.");
        }

        return new ConsolePage(name, WebUtility.HtmlDecode(found.Groups["label"].Value), int.Parse(found.Groups["order"].Value, CultureInfo.InvariantCulture));
    }

    private static byte[] ReadAll(System.Reflection.Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    [GeneratedRegex("""<meta name="console-page" content="(?<label>[^"]+)" data-order="(?<order>-?\d+)">""")]
    private static partial Regex PageMeta();
}

/// <summary>One page of the console: its folder's name (its path), the label in the nav, and its place there.</summary>
internal sealed record ConsolePage(string Name, string Label, int Order);
