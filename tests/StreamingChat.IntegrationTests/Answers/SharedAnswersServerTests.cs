// Over 300 lines: every case here needs the same two hosts on one Redis, started once for the class (starting them is most of its time).
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>
/// Answers shared by every instance: two host processes on one Redis (or one Redis Cluster) and one Mongo-wire store, the
/// real OpenAI client against the fake upstream. An answer produced on A is resumed and stopped on B.
/// </summary>
public abstract class SharedAnswersTests(MongoServerFixture mongo) : IAsyncLifetime
{
    protected const double LeaseSeconds = 3;
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, string> _sessionKeys = new(StringComparer.Ordinal);
    private readonly string _keyPrefix = $"t{Guid.NewGuid():N}:"; // tests that share a Redis share no key

    /// <summary>The prefix of every key this test's instances write.</summary>
    protected string KeyPrefix => _keyPrefix;
    private string _database = null!;

    /// <summary>The Mongo-wire database the instances share.</summary>
    protected string Database => _database;

    protected FakeOpenAIServer Upstream { get; private set; } = null!;

    /// <summary>The StackExchange.Redis connection string of the Redis the instances share.</summary>
    protected abstract string RedisConnection { get; }

    public virtual async Task InitializeAsync()
    {
        Upstream = await FakeOpenAIServer.StartAsync();
        _database = mongo.NewDatabase("shared-answers");

        // The store's indexes and the demo chatbot, as an operator's first deploy makes them.
        var (exitCode, output) = await HostProcess.RunToEndAsync("migrate", $"--ConnectionStrings:Mongo={_database}");
        Assert.True(exitCode == 0, output);
    }

    public virtual async Task DisposeAsync() => await Upstream.DisposeAsync();

    protected const string AdminKey = "3f9c2a7e5b1d8c4a6e0f2b9d7c5a3e1f";

    /// <summary>Starts an instance and waits until it has read the shared rollout state (until then it does not stream).</summary>
    protected async Task<HostProcess> StartAsync(params string[] settings)
    {
        var host = await StartProcessAsync(settings);
        using var client = Client(host);
        await WaitUntilAsync(async () => (await FeatureAsync(client)).GetProperty("version").GetInt64() >= 1);
        return host;
    }

    /// <summary>The streaming feature's rollout state as the instance reports it.</summary>
    protected static async Task<JsonElement> FeatureAsync(HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/metrics/feature-flags");
        request.Headers.Add("X-Admin-Key", AdminKey);
        using var response = await client.SendAsync(request);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("features")[0];
    }

    private Task<HostProcess> StartProcessAsync(string[] settings) => HostProcess.StartAsync(
    [
        $"--StreamingChat:Admin:ApiKeys:0={AdminKey}",
        $"--StreamingChat:Redis:ConnectionString={RedisConnection}",
        $"--StreamingChat:Redis:KeyPrefix={_keyPrefix}",
        $"--ConnectionStrings:Mongo={_database}",
        "--StreamingChat:Model:Provider=OpenAI",
        "--StreamingChat:Model:OpenAI:ApiKey=test-key",
        $"--StreamingChat:Model:OpenAI:Endpoint={Upstream.Endpoint}",
        "--StreamingChat:Model:OpenAI:Model=fake-model",
        "--StreamingChat:Model:OpenAI:MaxRetries=0",
        $"--StreamingChat:Answers:LeaseSeconds={LeaseSeconds.ToString(CultureInfo.InvariantCulture)}",
        "--StreamingChat:Health:MaxCpuShare=1",
        "--Logging:LogLevel:Default=Warning",
        .. settings,
    ]);

    protected static FakeCompletion Paced(int tokens, int intervalMs = 40)
        => new() { Tokens = [.. Enumerable.Range(0, tokens).Select(i => $" w{i}")], TokenInterval = TimeSpan.FromMilliseconds(intervalMs) };

    protected async Task CutOnAResumedOnBAsync()
    {
        Upstream.Default = Paced(60);
        await using var a = await StartAsync();
        await using var b = await StartAsync();
        using var clientA = Client(a);
        using var clientB = Client(b);

        var (messageId, before) = await AskAndCutAsync(clientA, "cut-a", afterId: 7);
        using var resumed = await ResumeAsync(clientB, messageId, "cut-a", lastEventId: 7);
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        var after = await ReadAsync(resumed);

        Assert.Equal(Enumerable.Range(8, after.Count).Select(Id), after.Select(e => e.Id));
        Assert.Single(after, e => e.Type is "done" or "error");
        Assert.Equal("done", after[^1].Type);
        var expected = string.Concat(Enumerable.Range(0, 60).Select(i => $" w{i}"));
        Assert.Equal(expected, Text(before) + Text(after));
        var stored = await StoredAnswerAsync(clientB, "cut-a", messageId);
        Assert.Equal(("complete", expected), (stored.GetProperty("status").GetString(), stored.GetProperty("content").GetString()));
        Assert.Single(Upstream.Requests); // asked once, read on two instances
    }

    protected async Task StopSentToBAsync()
    {
        Upstream.Default = Paced(400, 25);
        await using var a = await StartAsync();
        await using var b = await StartAsync();
        using var clientA = Client(a);
        using var clientB = Client(b);

        using var onA = await PostAsync(clientA, "stop-a");
        var readingA = ReadAsync(onA);
        var messageId = await MessageIdAsync(clientA, "stop-a");
        using var onB = await ResumeAsync(clientB, messageId, "stop-a", lastEventId: null);
        var readingB = ReadAsync(onB);
        await Task.Delay(600);

        using var stop = Request(HttpMethod.Post, $"/api/chat/answers/{messageId}/stop", "stop-a");
        using var stopped = await clientB.SendAsync(stop);
        Assert.True(stopped.StatusCode == HttpStatusCode.OK, $"{stopped.StatusCode} {await stopped.Content.ReadAsStringAsync()}");
        var answer = await stopped.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("stopped", answer.GetProperty("status").GetString());

        // Answered only once the store has it.
        var stored = await StoredAnswerAsync(clientB, "stop-a", messageId, waitForIt: false);
        Assert.Equal(("stopped", answer.GetProperty("answer").GetString()), (stored.GetProperty("status").GetString(), stored.GetProperty("content").GetString()));
        foreach (var events in new[] { await readingA, await readingB })
        {
            var done = Assert.Single(events, e => e.Type is "done" or "error");
            Assert.Equal(("done", "stopped"), (done.Type, done.Data.GetProperty("finishReason").GetString()));
            Assert.Equal(answer.GetProperty("answer").GetString(), Text(events));
        }
    }

    /// <summary>A client whose dropped responses close their connection at once (no draining of what is left to read).</summary>
    protected static HttpClient Client(HostProcess host)
        => new(new SocketsHttpHandler { MaxResponseDrainSize = 0, ResponseDrainTimeout = TimeSpan.Zero }) { BaseAddress = host.Address, Timeout = Patience };

    protected HttpRequestMessage Request(HttpMethod method, string path, string sessionId)
    {
        var request = new HttpRequestMessage(method, path);
        if (_sessionKeys.TryGetValue(sessionId, out var key))
        {
            request.Headers.Add("X-Session-Key", key);
        }

        return request;
    }

    protected async Task<HttpResponseMessage> PostAsync(HttpClient client, string sessionId, CancellationToken cancellationToken = default)
    {
        var request = Request(HttpMethod.Post, "/api/chat/query/stream", sessionId);
        request.Content = JsonContent.Create(new { query = "Count for me", chatbotId = "demo", sessionId });
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            Assert.Fail($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        _sessionKeys[sessionId] = response.Headers.GetValues("X-Session-Key").First();
        Assert.Equal("on", response.Headers.GetValues("X-Streaming").Single());
        return response;
    }

    /// <summary>Asks, reads to event <paramref name="afterId"/> (to the end when null) and drops the connection.</summary>
    protected async Task<(string MessageId, List<ReceivedEvent> Events)> AskAndCutAsync(HttpClient client, string sessionId, int? afterId)
    {
        // Cancelling the request closes the connection at once; disposing an unread response would drain it first.
        using var cut = new CancellationTokenSource();
        using var response = await PostAsync(client, sessionId, cut.Token);
        var events = await ReadAsync(response, afterId is { } id ? e => e.Id == Id(id) : null);
        await cut.CancelAsync();
        return (events[0].Data.GetProperty("messageId").GetString()!, events);
    }

    private async Task<string> MessageIdAsync(HttpClient client, string sessionId)
    {
        using var request = Request(HttpMethod.Get, $"/api/chat/sessions/{sessionId}", sessionId);
        using var response = await client.SendAsync(request);
        var session = await response.Content.ReadFromJsonAsync<JsonElement>();
        return session.GetProperty("activeMessageId").GetString()!;
    }

    protected Task<HttpResponseMessage> ResumeAsync(HttpClient client, string messageId, string sessionId, long? lastEventId)
    {
        var request = Request(HttpMethod.Get, $"/api/chat/answers/{messageId}/stream", sessionId);
        if (lastEventId is { } seen)
        {
            request.Headers.Add("Last-Event-ID", seen.ToString(CultureInfo.InvariantCulture));
        }

        return client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    /// <summary>The stored answer of this id, from the session's history (the store both instances share).</summary>
    protected async Task<JsonElement> StoredAnswerAsync(HttpClient client, string sessionId, string messageId, bool waitForIt = true)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            using var request = Request(HttpMethod.Get, $"/api/chat/sessions/{sessionId}", sessionId);
            using var response = await client.SendAsync(request);
            var session = await response.Content.ReadFromJsonAsync<JsonElement>();
            foreach (var turn in session.GetProperty("messages").EnumerateArray())
            {
                if (turn.GetProperty("messageId").GetString() == messageId)
                {
                    return turn;
                }
            }

            Assert.True(waitForIt && DateTime.UtcNow < deadline, $"the answer {messageId} is not stored");
            await Task.Delay(100);
        }
    }

    protected static async Task<string> HealthAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/healthz/ready");
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString()!;
    }

    protected static Task<List<ReceivedEvent>> ReadAsync(HttpResponseMessage response, Func<ReceivedEvent, bool>? stopAfter = null)
        => SseTestClient.ReadResponseAsync(response, Patience, stopAfter);

    protected static string Text(IEnumerable<ReceivedEvent> events) => string.Concat(events.Select(e => e.Text));

    protected static string Id(int id) => id.ToString(CultureInfo.InvariantCulture);

    protected static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition was not met in time");
            await Task.Delay(100);
        }
    }
}

/// <summary>Two instances on one real Redis of their own, started for each test and stopped after it.</summary>
public abstract class OneRedisSharedAnswersTests(MongoServerFixture mongo) : SharedAnswersTests(mongo)
{
    /// <summary>The Redis the instances share.</summary>
    protected RedisTestServer Redis { get; private set; } = null!;

    protected override string RedisConnection => Redis.ConnectionString;

    public override async Task InitializeAsync()
    {
        Redis = await RedisTestServer.StartAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Redis.DisposeAsync();
    }
}

/// <summary>The shared answers on one real Redis, with the faults only it can show: an instance killed, Redis stopped.</summary>
[Collection(SoloCollection.Name)]
public sealed class SharedAnswersServerTests(MongoServerFixture mongo) : OneRedisSharedAnswersTests(mongo), IClassFixture<MongoServerFixture>
{
    [Fact]
    public Task CutOnA_ResumedOnB_GivesTheRestExactlyOnce_AndTheTextIsTheStoredAnswer() => CutOnAResumedOnBAsync();

    [Fact]
    public Task StopSentToB_WhileAProduces_IsAnsweredOnceStoredAsStopped_AndEveryReaderEndsStopped() => StopSentToBAsync();

    [Fact]
    public async Task AKilledMidAnswer_AReaderOnBGetsAnswerLostOnce_WithinTheLease_AndTheTurnIsStoredInterrupted()
    {
        Upstream.Default = Paced(1000, 30);
        await using var a = await StartAsync();
        await using var b = await StartAsync();
        using var clientA = Client(a);
        using var clientB = Client(b);

        var (messageId, before) = await AskAndCutAsync(clientA, "kill-a", afterId: 5);
        using var onB = await ResumeAsync(clientB, messageId, "kill-a", lastEventId: 5);
        var readingB = ReadAsync(onB);
        await Task.Delay(500);

        await a.KillAsync();
        var killed = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => clientA.GetAsync("/healthz/live")); // A is gone
        var after = await readingB;
        var noticedAfter = killed.Elapsed;

        var end = Assert.Single(after, e => e.Type is "done" or "error");
        Assert.Equal(("error", "answer_lost", true), (end.Type, end.Data.GetProperty("code").GetString(), end.Data.GetProperty("retryable").GetBoolean()));
        Assert.True(noticedAfter < TimeSpan.FromSeconds(LeaseSeconds + 2), $"noticed after {noticedAfter.TotalMilliseconds:F0} ms");
        Assert.Equal(Enumerable.Range(6, after.Count).Select(Id), after.Select(e => e.Id));
        var stored = await StoredAnswerAsync(clientB, "kill-a", messageId);
        Assert.Equal(("interrupted", Text(before) + Text(after)), (stored.GetProperty("status").GetString(), stored.GetProperty("content").GetString()));
    }

    [Fact]
    public async Task AKilled_AReaderAheadOfRedis_ResumesOnB_GetsAnswerLostOnce_NumberedAfterWhatItHas()
    {
        // A writes its events to Redis every 5 s, so its own reader is far ahead of what Redis holds when A dies.
        Upstream.Default = Paced(1000, 30);
        await using var a = await StartAsync("--StreamingChat:Answers:WriteIntervalMilliseconds=5000");
        await using var b = await StartAsync();
        using var clientA = Client(a);
        using var clientB = Client(b);
        var (messageId, before) = await AskAndCutAsync(clientA, "ahead", afterId: 10);
        await a.KillAsync();

        // The reader holds ids 0 to 10; the shared log had the start event only. It gets the end, after its own last id.
        using (var resumed = await ResumeAsync(clientB, messageId, "ahead", lastEventId: 10))
        {
            Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
            var end = Assert.Single(await ReadAsync(resumed));
            Assert.Equal(("error", "answer_lost", "11"), (end.Type, end.Data.GetProperty("code").GetString(), end.Id));
        }

        // Resumed again with that id, it has its terminal event; a reader that had nothing reads the shared log to its end.
        using (var again = await ResumeAsync(clientB, messageId, "ahead", lastEventId: 11))
        {
            Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        }

        using var fromStart = await ResumeAsync(clientB, messageId, "ahead", lastEventId: null);
        var shared = await ReadAsync(fromStart);
        Assert.Equal([("start", "0"), ("error", "1")], shared.Select(e => (e.Type, e.Id!)));
        Assert.Equal(" w0 w1 w2 w3 w4 w5 w6 w7 w8 w9", Text(before));

        // What is stored is what the shared log held (API.md, DEPLOYMENT.md: the write-behind window).
        var stored = await StoredAnswerAsync(clientB, "ahead", messageId);
        Assert.Equal(("interrupted", ""), (stored.GetProperty("status").GetString(), stored.GetProperty("content").GetString()));
    }

    [Fact]
    public async Task AKilledHoldingACallersPlace_BAdmitsThatCallerAgain_WithinTheLease()
    {
        Upstream.Default = Paced(1000, 30);
        string[] limit = ["--StreamingChat:RateLimiting:MaxConcurrentAnswersPerAddress=1"];
        await using var a = await StartAsync(limit);
        await using var b = await StartAsync(limit);
        using var clientA = Client(a);
        using var clientB = Client(b);

        using var running = await PostAsync(clientA, "place-1");
        var reading = ReadAsync(running);
        using (var refused = await AskOnceAsync(clientB, "place-2"))
        {
            Assert.True(refused.StatusCode == HttpStatusCode.TooManyRequests, await refused.Content.ReadAsStringAsync());
        }

        await a.KillAsync();
        var killed = Stopwatch.StartNew();
        for (var attempt = 0; ; attempt++)
        {
            using var asked = await AskOnceAsync(clientB, $"place-3-{attempt}");
            if (asked.StatusCode == HttpStatusCode.OK)
            {
                break;
            }

            Assert.True(asked.StatusCode == HttpStatusCode.TooManyRequests, await asked.Content.ReadAsStringAsync());
            Assert.True(killed.Elapsed < TimeSpan.FromSeconds(LeaseSeconds + 3), "the dead instance's place was not freed within its lease");
            await Task.Delay(200);
        }

        Assert.True(killed.Elapsed < TimeSpan.FromSeconds(LeaseSeconds + 2), $"freed after {killed.Elapsed.TotalMilliseconds:F0} ms");
        await Assert.ThrowsAnyAsync<Exception>(() => reading);
    }

    /// <summary>Asks once and answers the response as it came (a refusal is not a failure here).</summary>
    private async Task<HttpResponseMessage> AskOnceAsync(HttpClient client, string sessionId)
    {
        var request = Request(HttpMethod.Post, "/api/chat/query/stream", sessionId);
        request.Content = JsonContent.Create(new { query = "Count for me", chatbotId = "demo", sessionId });
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    [Fact]
    public async Task SessionDeletedOnB_EveryUrlThatServedItsAnswersIs404OnBothInstances_AndRedisHoldsNothingOfIt()
    {
        string[] settings = ["--StreamingChat:RateLimiting:PermitsPerMinutePerSession=50"];
        await using var a = await StartAsync(settings);
        await using var b = await StartAsync(settings);
        using var clientA = Client(a);
        using var clientB = Client(b);

        // Two answers ended on A, and a third still running there when B is asked to erase the session.
        Upstream.Default = Paced(3, 5);
        var urls = new List<string>();
        var ids = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            using var response = await PostAsync(clientA, "erase-me");
            urls.Add(response.Headers.Location!.OriginalString);
            ids.Add((await ReadAsync(response))[0].Data.GetProperty("messageId").GetString()!);
        }

        Upstream.Default = Paced(1000, 30);
        using (var third = await PostAsync(clientA, "erase-me"))
        {
            urls.Add(third.Headers.Location!.OriginalString);
            ids.Add((await ReadAsync(third, e => e.Id == "3"))[0].Data.GetProperty("messageId").GetString()!);
        }

        using var delete = Request(HttpMethod.Delete, "/api/chat/sessions/erase-me", "erase-me");
        using var deleted = await clientB.SendAsync(delete);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);

        // Every URL that served the answers, on both instances, with the session's key or the answer's resume token.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5); // the other instance hears of the erasure within moments
        foreach (var client in new[] { clientB, clientA })
        {
            foreach (var path in urls.Concat(ids.SelectMany(id => new[] { $"/api/chat/answers/{id}", $"/api/chat/answers/{id}/stream" })).Append("/api/chat/sessions/erase-me").Append("/api/chat/ui/erase-me/stream"))
            {
                while (true)
                {
                    using var request = Request(HttpMethod.Get, path, "erase-me");
                    using var response = await client.SendAsync(request);
                    if (response.StatusCode == HttpStatusCode.NotFound || DateTime.UtcNow > deadline)
                    {
                        Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path} on {client.BaseAddress}: {(int)response.StatusCode}");
                        break;
                    }

                    await Task.Delay(100);
                }
            }

            foreach (var id in ids)
            {
                using var stop = Request(HttpMethod.Post, $"/api/chat/answers/{id}/stop", "erase-me");
                using var stopped = await client.SendAsync(stop);
                Assert.Equal(HttpStatusCode.NotFound, stopped.StatusCode);
            }
        }

        // Redis: no key names the session or any of its answers, and no running answer is left under their ids.
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(RedisConnection);
        var keys = redis.GetServer(redis.GetEndPoints()[0]).Keys(pattern: "*").Select(k => k.ToString()).ToList();
        Assert.Contains(keys, k => k.StartsWith(KeyPrefix, StringComparison.Ordinal)); // the instances' own keys are there
        Assert.DoesNotContain(keys, k => k.Contains("erase-me", StringComparison.Ordinal) || ids.Any(id => k.Contains(id, StringComparison.Ordinal)));
        var running = await redis.GetDatabase().HashKeysAsync(KeyPrefix + "{answers}:running");
        Assert.DoesNotContain(running, field => ids.Contains(field.ToString()));
    }

    [Fact]
    public async Task AKilledMidAnswer_ThenStopSentToB_BEndsItItselfAsStopped()
    {
        Upstream.Default = Paced(1000, 30);
        await using var a = await StartAsync();
        await using var b = await StartAsync();
        using var clientA = Client(a);
        using var clientB = Client(b);
        var (messageId, before) = await AskAndCutAsync(clientA, "kill-stop", afterId: 5);
        await WaitUntilAsync(async () => (await AnswerAsync(clientB, "kill-stop", messageId)).GetProperty("lastEventId").GetInt64() >= 5);

        // A dies; its lease has not lapsed yet when the stop reaches B, which waits for it and ends the answer itself.
        await a.KillAsync();
        using var stop = Request(HttpMethod.Post, $"/api/chat/answers/{messageId}/stop", "kill-stop");
        using var stopped = await clientB.SendAsync(stop);
        var answer = await stopped.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal((HttpStatusCode.OK, "stopped"), (stopped.StatusCode, answer.GetProperty("status").GetString()));
        Assert.StartsWith(Text(before), answer.GetProperty("answer").GetString(), StringComparison.Ordinal);
        var stored = await StoredAnswerAsync(clientB, "kill-stop", messageId);
        Assert.Equal(("stopped", answer.GetProperty("answer").GetString()), (stored.GetProperty("status").GetString(), stored.GetProperty("content").GetString()));
        using var resumed = await ResumeAsync(clientB, messageId, "kill-stop", lastEventId: 5);
        var end = Assert.Single(await ReadAsync(resumed), e => e.Type is "done" or "error");
        Assert.Equal(("done", "stopped"), (end.Type, end.Data.GetProperty("finishReason").GetString()));
    }

    private async Task<JsonElement> AnswerAsync(HttpClient client, string sessionId, string messageId)
    {
        using var request = Request(HttpMethod.Get, $"/api/chat/answers/{messageId}", sessionId);
        using var response = await client.SendAsync(request);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task RedisStopped_AnswersGoOnInMemory_HealthDegraded_AndBack_CrossInstanceResumeWorksAgain()
    {
        Upstream.Default = Paced(40, 20);
        await using var a = await StartAsync();
        await using var b = await StartAsync();
        using var clientA = Client(a);
        using var clientB = Client(b);

        using var running = await PostAsync(clientA, "away-1");
        var reading = ReadAsync(running);
        await Task.Delay(200);
        await Redis.StopAsync();
        var whileAway = await reading;
        Assert.Equal("done", whileAway[^1].Type); // the answer running when Redis went away went on
        await WaitUntilAsync(async () => (await HealthAsync(clientA)) == "degraded");

        var (_, answered) = await AskAndCutAsync(clientA, "away-2", afterId: null);
        Assert.Equal("done", answered[^1].Type); // and new ones are answered, kept in memory

        await Redis.StartAgainAsync();
        await WaitUntilAsync(async () => (await HealthAsync(clientA)) == "healthy" && (await HealthAsync(clientB)) == "healthy");
        var (messageId, before) = await AskAndCutAsync(clientA, "back-1", afterId: 3);
        using var resumed = await ResumeAsync(clientB, messageId, "back-1", lastEventId: 3);
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        var after = await ReadAsync(resumed);
        Assert.Equal("done", after[^1].Type);
        Assert.Equal(string.Concat(Enumerable.Range(0, 40).Select(i => $" w{i}")), Text(before) + Text(after));
    }

    [Fact]
    public async Task StoreStopped_FiveQuestionsAnsweredOnA_AKilled_StoreBack_BWritesAllTenTurnsInOrderOnceEach()
    {
        var port = TestPorts.Free();
        var server = await MongoTestServer.StartOwnAsync(port);
        var connection = server.ConnectionString("outbox-copy");
        try
        {
            var migrated = await HostProcess.RunToEndAsync("migrate", $"--ConnectionStrings:Mongo={connection}");
            Assert.True(migrated.ExitCode == 0, migrated.Output);
            string[] settings =
            [
                $"--ConnectionStrings:Mongo={connection}",
                "--StreamingChat:Mongo:ServerSelectionTimeoutSeconds=1",
                "--StreamingChat:Chat:PersistTimeoutSeconds=2",
                "--StreamingChat:Outbox:RetrySeconds=0.2",
                "--StreamingChat:Outbox:MaxRetrySeconds=0.5",
            ];
            Upstream.Default = Paced(5, 5);
            await using var a = await StartAsync(settings);
            await using var b = await StartAsync(settings);
            using var clientA = Client(a);
            Assert.Equal("done", (await AskAndCutAsync(clientA, "warm", afterId: null)).Events[^1].Type); // the chatbot is cached now

            await server.DisposeAsync();
            for (var i = 1; i <= 5; i++)
            {
                Assert.Equal("done", (await AskAndCutAsync(clientA, "away", afterId: null)).Events[^1].Type);
            }

            // A dies with ten turns kept for the store; B takes them over once A's lease lapses, and writes them.
            await a.KillAsync();
            server = await MongoTestServer.StartOwnAsync(port);
            using var direct = new MongoDB.Driver.MongoClient(connection);
            var messages = direct.GetDatabase(MongoDB.Driver.MongoUrl.Create(connection).DatabaseName).GetCollection<MongoDB.Bson.BsonDocument>("messages");
            var filter = new MongoDB.Bson.BsonDocument("sessionId", "away");
            var deadline = DateTime.UtcNow + Patience;
            List<MongoDB.Bson.BsonDocument> stored = [];
            while (stored.Count < 10 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
                try
                {
                    var options = new MongoDB.Driver.FindOptions<MongoDB.Bson.BsonDocument> { Sort = new MongoDB.Bson.BsonDocument("createdAt", 1) };
                    using var cursor = await messages.FindAsync(filter, options);
                    stored = await MongoDB.Driver.IAsyncCursorExtensions.ToListAsync(cursor);
                }
                catch (Exception ex) when (ex is TimeoutException or MongoDB.Driver.MongoException)
                {
                    // not back yet
                }
            }

            Assert.Equal(Enumerable.Range(0, 10).Select(i => i % 2 == 0 ? "user" : "assistant"), stored.Select(d => d["role"].AsString));
            Assert.All(stored.Where(d => d["role"].AsString == "user"), d => Assert.Equal("Count for me", d["content"].AsString));
            Assert.All(stored.Where(d => d["role"].AsString == "assistant"), d => Assert.Equal(" w0 w1 w2 w3 w4", d["content"].AsString));
            Assert.Equal(10, stored.Select(d => d["_id"].AsString).Distinct().Count());
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
