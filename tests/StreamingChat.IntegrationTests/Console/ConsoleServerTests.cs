// Over 300 lines: the console's pages are tested against one host and one browser, started once for the class; each case is a page used as a person would.
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>The console in Debian's Chromium against the running host and the real OpenAI client: the chat page and the operations page.</summary>
[Collection(SoloCollection.Name)]
public sealed class ConsoleServerTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>, IAsyncLifetime
{
    internal const string AdminKey = "5d1f8a3c7e9b2d4f6a8c0e1b3d5f7a9c";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private FakeOpenAIServer _upstream = null!;
    private HostInstance _host = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeOpenAIServer.StartAsync();
        _host = await HostInstance.StartWithUpstreamAsync(_upstream, $"--StreamingChat:Admin:ApiKeys:0={AdminKey}");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private static FakeCompletion Paced(int tokens, int intervalMs)
        => new() { Tokens = [.. Enumerable.Range(0, tokens).Select(i => $" w{i}")], TokenInterval = TimeSpan.FromMilliseconds(intervalMs) };

    private async Task<IPage> OpenAsync(string path, int width = 1280, int height = 900)
    {
        var page = await chromium.NewPageAsync(width, height);
        await page.GotoAsync(new Uri(_host.Address, path).ToString());
        await page.WaitForSelectorAsync(path.EndsWith("ops", StringComparison.Ordinal) ? "body[data-refreshed]" : "body[data-ready]", new() { State = WaitForSelectorState.Attached });
        return page;
    }

    private static Task<JsonElement> LastAnswerAsync(IPage page) => page.EvaluateAsync<JsonElement>(
        """
        () => {
          const turn = [...document.querySelectorAll('.turn.assistant')].at(-1);
          return turn ? { text: turn.querySelector('.text').textContent, status: turn.dataset.status ?? null, messageId: turn.dataset.messageId ?? null, count: document.querySelectorAll('.turn.assistant').length } : null;
        }
        """);

    private async Task<ConversationMessage> StoredAsync(string messageId, Func<ConversationMessage, bool>? ready = null)
    {
        var store = _host.Services.GetRequiredService<IConversationStore>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Patience)
        {
            if (await store.GetMessageAsync(messageId) is { } turn && (ready?.Invoke(turn) ?? true))
            {
                return turn;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{messageId} was not stored");
    }

    [Fact]
    public async Task Chat_AQuestionTyped_ShowsTextGrowingBeforeTheEnd_AndEndsWithTheStoredAnswer()
    {
        _upstream.Default = Paced(30, 60);
        var page = await OpenAsync("/console/");
        await page.FillAsync("#question", "Count for me");
        await page.Keyboard.PressAsync("Enter"); // the keyboard sends

        var moments = new List<string>();
        JsonElement answer;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            answer = await LastAnswerAsync(page);
            if (answer.ValueKind == JsonValueKind.Object && answer.GetProperty("status").ValueKind == JsonValueKind.String)
            {
                break;
            }

            var text = answer.ValueKind == JsonValueKind.Object ? answer.GetProperty("text").GetString()! : "";
            if (text.Length > 0 && (moments.Count == 0 || moments[^1] != text))
            {
                moments.Add(text);
            }

            Assert.True(clock.Elapsed < Patience, "the answer did not end");
            await Task.Delay(25);
        }

        Assert.True(moments.Count >= 3, $"the text grew at {moments.Count} moments before the end");
        Assert.All(moments.Zip(moments.Skip(1)), pair => Assert.StartsWith(pair.First, pair.Second, StringComparison.Ordinal));
        var stored = await StoredAsync(answer.GetProperty("messageId").GetString()!);
        Assert.Equal(("complete", stored.Content), (answer.GetProperty("status").GetString(), answer.GetProperty("text").GetString()));
        Assert.Equal(string.Concat(Enumerable.Range(0, 30).Select(i => $" w{i}")), stored.Content);
        Assert.Contains("first token", await page.InnerTextAsync(".turn.assistant .meta"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_ARichAnswer_ShowsReasoningFolded_EachToolsInputAndOutput_AndApprovalButtonsThatContinueIt()
    {
        _upstream.Enqueue(new FakeCompletion { Tokens = [], Reasoning = ["Thinking about", " the time."], ToolCalls = [new FakeToolCall("call_c1", "get_time", """{"zone":"UTC"}""")] });
        _upstream.Enqueue(new FakeCompletion { Tokens = ["It is", " six."] });
        _upstream.Enqueue(new FakeCompletion { Tokens = [], ToolCalls = [new FakeToolCall("call_c2", "open_ticket", """{"title":"Printer"}""")] });
        _upstream.Default = new FakeCompletion { Tokens = ["Ticket", " opened."] };
        var page = await OpenAsync("/console/");

        await page.FillAsync("#question", "What time is it?");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForSelectorAsync(".turn.assistant[data-status='complete']", new() { Timeout = 30_000 });
        Assert.Equal("Thinking about the time.", await page.TextContentAsync(".turn.assistant details.reasoning pre", new() { Timeout = 1_000 }));
        Assert.False(await page.EvalOnSelectorAsync<bool>(".turn.assistant details.reasoning", "d => d.open")); // folded
        Assert.Contains("UTC", await page.TextContentAsync(".turn.assistant details.tool .tool-input") ?? "", StringComparison.Ordinal);
        Assert.Contains("\"utc\"", await page.TextContentAsync(".turn.assistant details.tool .tool-output") ?? "", StringComparison.Ordinal);
        Assert.Equal("It is six.", (await LastAnswerAsync(page)).GetProperty("text").GetString());

        await page.FillAsync("#question", "Open a ticket");
        await page.Keyboard.PressAsync("Enter");
        await page.ClickAsync("button.approve", new() { Timeout = 30_000 });
        await page.WaitForFunctionAsync("() => document.querySelectorAll('.turn.assistant').length === 3 && document.querySelectorAll('.turn.assistant')[2].dataset.status === 'complete'", null, new() { Timeout = 30_000 });

        var continuation = await LastAnswerAsync(page);
        Assert.Equal("Ticket opened.", continuation.GetProperty("text").GetString());
        Assert.Contains("ticketId", await page.TextContentAsync(".turn.assistant:last-of-type details.tool .tool-output") ?? "", StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("button.approve").CountAsync()); // answered once: the buttons are gone

        // Thumbs under a finished answer rate it.
        await page.ClickAsync(".turn.assistant:last-of-type .thumb-down");
        await page.WaitForSelectorAsync(".turn.assistant:last-of-type .thumb-down[aria-pressed='true']", new() { Timeout = 10_000 });
        var rated = await StoredAsync(continuation.GetProperty("messageId").GetString()!, turn => turn.Feedback is not null);
        Assert.Equal("down", rated.Feedback!.Rating);
    }

    [Fact]
    public async Task Chat_StopMidAnswer_LeavesExactlyTheShownTextStoredAsStopped()
    {
        _upstream.Default = Paced(400, 40);
        var page = await OpenAsync("/console/");
        await page.FillAsync("#question", "Count for a long time");
        await page.ClickAsync("#send");
        await page.WaitForFunctionAsync("() => ([...document.querySelectorAll('.turn.assistant .text')].at(-1)?.textContent.length ?? 0) > 20", null, new() { Timeout = 20_000 });
        await page.ClickAsync("#stop");
        await page.WaitForSelectorAsync(".turn.assistant[data-status='stopped']", new() { Timeout = 20_000 });

        var answer = await LastAnswerAsync(page);
        var stored = await StoredAsync(answer.GetProperty("messageId").GetString()!);
        Assert.Equal((MessageStatus.Stopped, answer.GetProperty("text").GetString()), (stored.Status, stored.Content));
        Assert.True(stored.Content.Length is > 20 and < 1600, stored.Content);
    }

    [Fact]
    public async Task Chat_ReloadMidAnswer_EndsWithTheWholeAnswerOnThePageOnce()
    {
        _upstream.Default = Paced(60, 50);
        var page = await OpenAsync("/");
        await page.FillAsync("#question", "Count, and survive a reload");
        await page.ClickAsync("#send");
        await page.WaitForFunctionAsync("() => ([...document.querySelectorAll('.turn.assistant .text')].at(-1)?.textContent.length ?? 0) > 10", null, new() { Timeout = 20_000 });

        await page.ReloadAsync();
        await page.WaitForSelectorAsync(".turn.assistant[data-status='complete']", new() { Timeout = 20_000 });

        var answer = await LastAnswerAsync(page);
        var whole = string.Concat(Enumerable.Range(0, 60).Select(i => $" w{i}"));
        Assert.Equal((1, whole), (answer.GetProperty("count").GetInt32(), answer.GetProperty("text").GetString()));
        Assert.Equal(1, await page.Locator(".turn.user").CountAsync());
        Assert.Equal(whole, (await StoredAsync(answer.GetProperty("messageId").GetString()!)).Content);
    }

    [Fact]
    public async Task Operations_AfterQuestions_ShowsTheSummarysCounts_AndThePercentageSetOnThePage_WithAWrongKeyNothing()
    {
        _upstream.Default = Paced(3, 5);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("done", (await _host.AskAsync($"Question {i}", sessionId: $"ops-{i}"))[^1].Type);
        }

        var page = await OpenAsync("/console/ops");
        var summary = await _host.Client.GetFromJsonAsync<JsonElement>("/api/metrics/streaming/summary");
        var requests = summary.GetProperty("requests").GetInt64().ToString(CultureInfo.InvariantCulture);
        await page.WaitForFunctionAsync("n => document.getElementById('sum-requests').textContent === n", requests, new() { Timeout = 20_000 });
        var success = Math.Round(summary.GetProperty("successRate").GetDouble() * 100, 2).ToString(CultureInfo.InvariantCulture) + " %";
        Assert.Equal((requests, success), (await page.InnerTextAsync("#sum-requests"), await page.InnerTextAsync("#sum-success")));

        await page.FillAsync("#admin-key", AdminKey);
        await page.FillAsync("#percentage", "40");
        await page.FillAsync("#reason", "phase 3");
        await page.ClickAsync("#set-percentage");
        await page.WaitForFunctionAsync("() => document.getElementById('admin-result').textContent === 'Done.'", null, new() { Timeout = 10_000 });
        Assert.Equal(40, await PercentageAsync());
        await page.WaitForFunctionAsync("() => document.getElementById('rollout-percentage').textContent === '40 %'", null, new() { Timeout = 10_000 });

        await page.FillAsync("#admin-key", "not-the-admin-key-at-all-0123456789");
        await page.FillAsync("#percentage", "90");
        await page.ClickAsync("#set-percentage");
        await page.WaitForFunctionAsync("() => document.getElementById('admin-result').textContent.startsWith('Wrong admin key')", null, new() { Timeout = 10_000 });
        Assert.Equal(40, await PercentageAsync());

        // A schedule started elsewhere is shown, and paused from the page.
        using var start = new HttpRequestMessage(HttpMethod.Post, "/api/metrics/feature-flags/schedule")
        {
            Content = JsonContent.Create(new { feature = "streaming", steps = new[] { 50, 100 }, soakSeconds = 600, minSamples = 10 }),
        };
        start.Headers.Add("X-Admin-Key", AdminKey);
        using (var started = await _host.Client.SendAsync(start))
        {
            Assert.True(started.IsSuccessStatusCode, await started.Content.ReadAsStringAsync());
        }

        await page.WaitForFunctionAsync("() => document.getElementById('rollout-schedule').textContent.startsWith('running')", null, new() { Timeout = 10_000 });
        await page.FillAsync("#admin-key", AdminKey);
        await page.ClickAsync("[data-schedule='pause']");
        await page.WaitForFunctionAsync("() => document.getElementById('rollout-schedule').textContent.startsWith('paused')", null, new() { Timeout = 10_000 });
        var schedule = (await _host.Client.GetFromJsonAsync<JsonElement>("/api/metrics/feature-flags")).GetProperty("features")[0].GetProperty("schedule");
        Assert.Equal("paused", schedule.GetProperty("state").GetString());

    }

    [Fact]
    public async Task BothPages_AtADesktopsAndAPhonesWidth_FitTheScreen_AndAreScreenshotted()
    {
        const string Answer = "The console shows each answer as the model makes it, with the time to its first token and the tokens it used. A dropped connection or a reload resumes the answer where it was.";
        _upstream.Default = new FakeCompletion { Tokens = [.. System.Text.RegularExpressions.Regex.Split(Answer, "(?= )")], TokenInterval = TimeSpan.FromMilliseconds(5) };
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("done", (await _host.AskAsync($"Warm-up {i}", sessionId: $"shots-{i}"))[^1].Type); // figures for the charts
        }

        var chat = await OpenAsync("/console/");
        await chat.FillAsync("#question", "What does the console show?");
        await chat.ClickAsync("#send");
        await chat.WaitForSelectorAsync(".turn.assistant[data-status='complete']", new() { Timeout = 20_000 });
        var ops = await OpenAsync("/console/ops");
        await ops.WaitForFunctionAsync("() => Number(document.body.dataset.refreshed) >= 2", null, new() { Timeout = 20_000 });

        foreach (var (page, name) in new[] { (chat, "chat"), (ops, "ops") })
        {
            await ScreenshotAsync(page, name + "-desktop");
            await page.SetViewportSizeAsync(390, 844);

            // Nothing wider than a phone's screen: no sideways scrolling.
            var wide = await page.EvaluateAsync<string>("() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join(', ')");
            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), $"{name}: {wide}");
            await ScreenshotAsync(page, name + "-phone");
        }
    }

    private async Task<int> PercentageAsync()
        => (await _host.Client.GetFromJsonAsync<JsonElement>("/api/metrics/feature-flags")).GetProperty("features")[0].GetProperty("percentage").GetInt32();

    /// <summary>
    /// Writes the page's screenshot under artifacts/screenshots, and under docs/screenshots too when
    /// <c>STREAMINGCHAT_SCREENSHOTS_TO_DOCS=1</c> (how the ones in the documentation are made).
    /// </summary>
    internal static async Task ScreenshotAsync(IPage page, string name)
    {
        var folders = new List<string> { Path.Combine(TestPorts.RepositoryRoot, "artifacts", "screenshots") };
        if (Environment.GetEnvironmentVariable("STREAMINGCHAT_SCREENSHOTS_TO_DOCS") == "1")
        {
            folders.Add(Path.Combine(TestPorts.RepositoryRoot, "docs", "screenshots"));
        }

        var bytes = await page.ScreenshotAsync(new PageScreenshotOptions { FullPage = true });
        foreach (var folder in folders)
        {
            Directory.CreateDirectory(folder);
            await File.WriteAllBytesAsync(Path.Combine(folder, name + ".png"), bytes);
        }
    }
}

/// <summary>The operations page of one instance of two on one real Redis: its service-wide chart counts both.</summary>
[Collection(SoloCollection.Name)]
public sealed class ConsoleServiceWideServerTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task TwoInstancesOnOneRedis_TheServiceWideChart_CountsQuestionsSentToBoth()
    {
        await using var redis = await RedisTestServer.StartAsync();
        await using var upstream = await FakeOpenAIServer.StartAsync();
        upstream.Default = new FakeCompletion { Tokens = ["One", " two"] };
        string[] settings = [$"--REDIS_URL=redis://127.0.0.1:{redis.Port}", $"--StreamingChat:Admin:ApiKeys:0={ConsoleServerTests.AdminKey}"];
        await using var a = await HostInstance.StartWithUpstreamAsync(upstream, settings);
        await using var b = await HostInstance.StartWithUpstreamAsync(upstream, settings);
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal("done", (await a.AskAsync($"To A {i}", sessionId: $"a{i}"))[^1].Type);
        }

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("done", (await b.AskAsync($"To B {i}", sessionId: $"b{i}"))[^1].Type);
        }

        var page = await chromium.NewPageAsync();
        await page.GotoAsync(new Uri(a.Address, "/console/ops").ToString());
        await page.SelectOptionAsync("#scope", "service");

        // Each instance adds its intervals to Redis when it reports itself (every 5 s); the page refreshes every 3 s.
        await page.WaitForFunctionAsync("() => document.getElementById('series-total-requests').textContent === '5'", null, new() { Timeout = 30_000 });
        await page.SelectOptionAsync("#scope", "instance");
        await page.WaitForFunctionAsync("() => document.getElementById('series-total-requests').textContent === '2'", null, new() { Timeout = 15_000 });
        Assert.Equal(2, await page.Locator("#instances tr").CountAsync());
    }
}
