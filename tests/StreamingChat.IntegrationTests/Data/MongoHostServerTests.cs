using System.Text;
using Microsoft.Extensions.DependencyInjection;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>The sample host on MongoDB: its CLI verbs as processes, history across questions and restarts, abandoned answers.</summary>
public sealed class MongoHostServerTests(MongoServerFixture mongo) : IClassFixture<MongoServerFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private FakeOpenAIServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeOpenAIServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    private string[] UpstreamSettings(string connection) =>
    [
        $"--ConnectionStrings:Mongo={connection}",
        "--StreamingChat:Model:Provider=OpenAI",
        "--StreamingChat:Model:OpenAI:ApiKey=test-key",
        $"--StreamingChat:Model:OpenAI:Endpoint={_upstream.Endpoint}",
        "--StreamingChat:Model:OpenAI:Model=fake-model",
        "--StreamingChat:Model:OpenAI:MaxRetries=0",
    ];

    [Fact]
    public async Task VerifyIndexes_FailsBeforeMigrate_PassesAfter_AndMigrateTwiceIsANoOp()
    {
        var connection = mongo.NewDatabase("cli");

        var before = await HostProcess.RunToEndAsync("verify-indexes", $"--ConnectionStrings:Mongo={connection}");
        var first = await HostProcess.RunToEndAsync("migrate", $"--ConnectionStrings:Mongo={connection}");
        var second = await HostProcess.RunToEndAsync("migrate", $"--ConnectionStrings:Mongo={connection}");
        var after = await HostProcess.RunToEndAsync("verify-indexes", $"--ConnectionStrings:Mongo={connection}");

        Assert.True(before.ExitCode == 1, before.Output);
        Assert.Contains("MISSING    messages.sessionId_1_createdAt_1", before.Output, StringComparison.Ordinal);
        Assert.Contains("PENDING    migration 001 messages-indexes", before.Output, StringComparison.Ordinal);
        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Contains("Applied 001 messages-indexes", first.Output, StringComparison.Ordinal);
        Assert.Contains("Seeded chatbot 'demo'", first.Output, StringComparison.Ordinal);
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.DoesNotContain("Applied", second.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Seeded", second.Output, StringComparison.Ordinal);
        Assert.Contains("Nothing to do", second.Output, StringComparison.Ordinal);
        Assert.True(after.ExitCode == 0, after.Output);
        Assert.DoesNotContain("MISSING", after.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readiness_WaitsForMongo_NotReadyWhileItDoesNotAnswer()
    {
        var away = $"mongodb://127.0.0.1:{TestPorts.Free()}/nowhere";
        await using var down = await HostInstance.StartAsync($"--ConnectionStrings:Mongo={away}", "--StreamingChat:Mongo:ServerSelectionTimeoutSeconds=1");
        await using var up = await HostInstance.StartAsync($"--ConnectionStrings:Mongo={mongo.NewDatabase("ready")}");

        using var notReady = await down.Client.GetAsync("/healthz/ready");
        using var ready = await up.Client.GetAsync("/healthz/ready");
        using var live = await down.Client.GetAsync("/healthz/live");

        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        Assert.Contains("mongo", await notReady.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Migrate_WithoutMongo_SaysWhatToSet_AndExitsOne()
    {
        var result = await HostProcess.RunToEndAsync("migrate");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("MONGODB_URI", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task History_SecondQuestionCarriesTheFirstTurn_AndSurvivesARestartOfTheHost()
    {
        var connection = mongo.NewDatabase("history");
        Assert.Equal(0, (await HostProcess.RunToEndAsync("migrate", $"--ConnectionStrings:Mongo={connection}")).ExitCode);
        _upstream.Enqueue(new FakeCompletion { Tokens = ["Paris", " it is."] });
        _upstream.Enqueue(new FakeCompletion { Tokens = ["About", " 2 million."] });
        _upstream.Enqueue(new FakeCompletion { Tokens = ["Yes."] });

        await using (var host = await HostProcess.StartAsync(UpstreamSettings(connection)))
        {
            await AskAsync(host, "What is the capital of France?");
            await AskAsync(host, "How many people live there?");
            Assert.Equal(0, await host.TerminateAsync());
        }

        await using (var restarted = await HostProcess.StartAsync(UpstreamSettings(connection)))
        {
            await AskAsync(restarted, "Are you sure?");
        }

        var requests = _upstream.Requests;
        Assert.Equal(3, requests.Count);
        Assert.Equal(
            [("user", "What is the capital of France?"), ("assistant", "Paris it is."), ("user", "How many people live there?")],
            requests[1].Messages.Where(m => m.Role != "system"));
        Assert.Equal(
            [("user", "What is the capital of France?"), ("assistant", "Paris it is."), ("user", "How many people live there?"), ("assistant", "About 2 million."), ("user", "Are you sure?")],
            requests[2].Messages.Where(m => m.Role != "system"));
    }

    [Fact]
    public async Task Stream_CallerLeaves_TheAnswerIsStoredInMongoAsInterruptedWithTheTextSent()
    {
        var connection = mongo.NewDatabase("leaver");
        Assert.Equal(0, (await HostProcess.RunToEndAsync("migrate", $"--ConnectionStrings:Mongo={connection}")).ExitCode);
        using var gate = new SemaphoreSlim(0);
        var completion = _upstream.Enqueue(new FakeCompletion { Tokens = ["one", " two", " three", " four", " five"], Gate = gate });
        await using var host = await HostInstance.StartAsync(UpstreamSettings(connection));
        var received = new StringBuilder();

        gate.Release();
        using (var caller = new CancellationTokenSource(Patience))
        using (var response = await host.PostStreamAsync(new { query = "Count", chatbotId = "demo", sessionId = "leaver" }, caller.Token))
        {
            await foreach (var e in SseTestClient.ReadEventsAsync(await response.Content.ReadAsStreamAsync(caller.Token), caller.Token))
            {
                if (e.Type == "token")
                {
                    received.Append(e.Text);
                    if (received.Length >= " two".Length + 3)
                    {
                        break;
                    }

                    gate.Release();
                }
            }
        }

        await completion.ConnectionClosed.Task.WaitAsync(Patience);

        // Read back through a client of its own, so what is checked is what MongoDB holds.
        using var reader = new StreamingChat.Mongo.StreamingChatMongo(Microsoft.Extensions.Options.Options.Create(new StreamingChat.Mongo.MongoStoreOptions { ConnectionString = connection }));
        var store = new StreamingChat.Mongo.MongoConversationStore(reader);
        ConversationMessage? answer = null;
        using var patience = new CancellationTokenSource(Patience);
        while ((answer = (await store.GetRecentAsync("leaver", null, 10)).LastOrDefault(m => m.Role == ConversationRole.Assistant)) is not { Status: MessageStatus.Interrupted })
        {
            await Task.Delay(50, patience.Token);
        }

        Assert.Equal("one two", received.ToString());
        Assert.Equal("one two", answer.Content);
        Assert.Equal("Count", (await store.GetRecentAsync("leaver", null, 10))[0].Content);
    }

    [Fact]
    public async Task ChatbotsVerb_CreatesAChatbot_ThatARunningHostAnswersForWithinItsCacheLifetime()
    {
        var connection = mongo.NewDatabase("manage");
        await using var host = await HostInstance.StartAsync($"--ConnectionStrings:Mongo={connection}", "--StreamingChat:Cache:ChatbotLocalSeconds=1");
        using (var before = await host.PostStreamAsync(new { query = "Hi", chatbotId = "support", sessionId = "s1" }))
        {
            Assert.Equal(System.Net.HttpStatusCode.NotFound, before.StatusCode);
        }

        var created = await HostProcess.RunToEndAsync("chatbots", "set", "support", "--name=Support", "--system-prompt=Answer as support.", $"--ConnectionStrings:Mongo={connection}");
        Assert.True(created.ExitCode == 0, created.Output);

        using var patience = new CancellationTokenSource(Patience);
        while (true)
        {
            using var response = await host.PostStreamAsync(new { query = "Hi", chatbotId = "support", sessionId = "s1" }, patience.Token);
            if (response.IsSuccessStatusCode)
            {
                break;
            }

            await Task.Delay(200, patience.Token);
        }

        var tooled = await HostProcess.RunToEndAsync("chatbots", "set", "support", "--tools=get_time, open_ticket", "--mcp-servers=orders", $"--ConnectionStrings:Mongo={connection}");
        Assert.True(tooled.ExitCode == 0, tooled.Output);
        Assert.Contains("tools: get_time, open_ticket", tooled.Output, StringComparison.Ordinal);
        Assert.Contains("mcpServers: orders", tooled.Output, StringComparison.Ordinal);

        var disabled = await HostProcess.RunToEndAsync("chatbots", "disable", "support", $"--ConnectionStrings:Mongo={connection}");
        Assert.True(disabled.ExitCode == 0, disabled.Output);
        var listed = await HostProcess.RunToEndAsync("chatbots", "list", $"--ConnectionStrings:Mongo={connection}");
        Assert.Matches(@"support\s+no\s+", listed.Output);
    }

    [Fact]
    public async Task DeleteSession_LeavesNothingOfItInMongo_ThenItIs404()
    {
        var connection = mongo.NewDatabase("erase");
        Assert.Equal(0, (await HostProcess.RunToEndAsync("migrate", $"--ConnectionStrings:Mongo={connection}")).ExitCode);
        await using var host = await HostInstance.StartWithUpstreamAsync(_upstream, $"--ConnectionStrings:Mongo={connection}");
        await host.AskAsync("Remember this.", sessionId: "to-erase");
        await host.AskAsync("And this.", sessionId: "to-erase");
        await host.AskAsync("Keep me.", sessionId: "to-keep");
        var key = host.SessionKeys["to-erase"];

        using var delete = new HttpRequestMessage(HttpMethod.Delete, "/api/chat/sessions/to-erase");
        delete.Headers.Add("X-Session-Key", key);
        using var deleted = await host.Client.SendAsync(delete);
        using var read = new HttpRequestMessage(HttpMethod.Get, "/api/chat/sessions/to-erase");
        read.Headers.Add("X-Session-Key", key);
        using var after = await host.Client.SendAsync(read);

        Assert.Equal(System.Net.HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, after.StatusCode);
        using var direct = new MongoDB.Driver.MongoClient(connection);
        var database = direct.GetDatabase(MongoDB.Driver.MongoUrl.Create(connection).DatabaseName);
        var messages = database.GetCollection<MongoDB.Bson.BsonDocument>("messages");
        var sessions = database.GetCollection<MongoDB.Bson.BsonDocument>("sessions");
        Assert.Equal(0, await messages.CountDocumentsAsync(new MongoDB.Bson.BsonDocument("sessionId", "to-erase")));
        Assert.Equal(0, await sessions.CountDocumentsAsync(new MongoDB.Bson.BsonDocument("_id", "to-erase")));
        Assert.Equal(2, await messages.CountDocumentsAsync(new MongoDB.Bson.BsonDocument("sessionId", "to-keep")));
    }

    /// <summary>The session's key, kept across questions and restarts of the host as a page keeps it.</summary>
    private string? _sessionKey;

    private async Task AskAsync(HostProcess host, string query)
    {
        using var client = new HttpClient { BaseAddress = host.Address, Timeout = Patience };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/chat/query/stream") { Content = System.Net.Http.Json.JsonContent.Create(new { query, chatbotId = "demo", sessionId = "history" }) };
        if (_sessionKey is not null)
        {
            request.Headers.Add("X-Session-Key", _sessionKey);
        }

        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        _sessionKey = response.Headers.GetValues("X-Session-Key").Single();
        var types = new List<string>();
        await foreach (var e in SseTestClient.ReadEventsAsync(await response.Content.ReadAsStreamAsync()))
        {
            types.Add(e.Type);
        }

        Assert.Equal("done", types[^1]);
    }
}
