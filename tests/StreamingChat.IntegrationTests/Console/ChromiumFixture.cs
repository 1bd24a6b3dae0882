using Microsoft.Playwright;

namespace StreamingChat.IntegrationTests;

/// <summary>
/// Debian's Chromium driven by Microsoft.Playwright, started once for a test class (Playwright's own browser download
/// cannot work here; the test command installs <c>chromium</c>).
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;

    /// <summary>The browser.</summary>
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Debian's Chromium, or the one <c>STREAMINGCHAT_TEST_CHROMIUM</c> names.</summary>
    public static string BrowserPath
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("STREAMINGCHAT_TEST_CHROMIUM") ?? "/usr/bin/chromium";
            Assert.True(File.Exists(path), $"{path} is missing: run 'bash eng/install-deps.sh' (the README's test command does)");
            return path;
        }
    }

    /// <summary>Launches Chromium headless.</summary>
    public static async Task<IBrowser> LaunchAsync(IPlaywright playwright)
        => await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = BrowserPath, Headless = true, Args = ["--no-sandbox"] });

    /// <summary>A new page of its own (cookies and storage too) at <paramref name="width"/> × <paramref name="height"/>.</summary>
    public async Task<IPage> NewPageAsync(int width = 1280, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        return await context.NewPageAsync();
    }

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        Browser = await LaunchAsync(_playwright);
    }

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright?.Dispose();
    }
}
