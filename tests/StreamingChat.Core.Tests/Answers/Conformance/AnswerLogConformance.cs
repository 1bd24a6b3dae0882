using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StreamingChat.Testing;

namespace StreamingChat.Core.Tests;

/// <summary>The in-memory log passes the answer log conformance suite.</summary>
public sealed class InMemoryAnswerLogConformanceTests : AnswerLogConformanceTests
{
    protected override Task<IAnswerLog> CreateLogAsync(AnswerOptions options) => Task.FromResult<IAnswerLog>(new InMemoryAnswerLog(options));
}

/// <summary>The Redis log passes the answer log conformance suite, against a real Redis.</summary>
public sealed class RedisAnswerLogConformanceServerTests : AnswerLogConformanceTests
{
    private readonly List<IDisposable> _owned = [];
    private RedisTestServer _server = null!;

    public override async Task InitializeAsync() => _server = await RedisTestServer.StartAsync();

    public override async Task DisposeAsync()
    {
        // Each log before the connection it uses.
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        await _server.DisposeAsync();
    }

    protected override async Task<IAnswerLog> CreateLogAsync(AnswerOptions options)
    {
        var redis = new StreamingChatRedis(Options.Create(new RedisOptions { ConnectionString = _server.ConnectionString, KeyPrefix = $"t{Guid.NewGuid():N}:", TimeoutMilliseconds = 5000 }), NullLogger<StreamingChatRedis>.Instance);
        _owned.Add(redis);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!redis.IsConnected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        var instance = new StreamingChatInstance(Options.Create(new MetricsOptions { InstanceId = "conformance" }), TimeProvider.System);
        var log = new RedisAnswerLog(redis, new FixedOptionsMonitor<AnswerOptions>(options), instance, NullLogger<RedisAnswerLog>.Instance);
        _owned.Add(log);
        return log;
    }
}

/// <summary>A third store, a file per answer (<see cref="FileAnswerLog"/>), passes the same suite.</summary>
public sealed class FileAnswerLogConformanceTests : AnswerLogConformanceTests
{
    private readonly List<FileAnswerLog> _logs = [];

    public override Task DisposeAsync()
    {
        _logs.ForEach(log => log.Dispose());
        return Task.CompletedTask;
    }

    protected override Task<IAnswerLog> CreateLogAsync(AnswerOptions options)
    {
        var log = new FileAnswerLog(new FixedOptionsMonitor<AnswerOptions>(options));
        _logs.Add(log);
        return Task.FromResult<IAnswerLog>(log);
    }
}

/// <summary>A store of the application's own is one registration: answers are logged there, even with <c>AddRedis()</c>.</summary>
public sealed class AnswerLogRegistrationTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AddAnswerLog_PutsTheAnswersInTheApplicationsStore_BeforeOrAfterAddRedis(bool redisFirst)
    {
        var configuration = new ConfigurationBuilder().Build();
        var services = new ServiceCollection().AddLogging();
        var chat = services.AddStreamingChatCore(configuration)
            .AddChatClient(_ => new FakeChatClient());
        if (redisFirst)
        {
            chat.AddRedis("127.0.0.1:1").AddAnswerLog<FileAnswerLog>();
        }
        else
        {
            chat.AddAnswerLog<FileAnswerLog>().AddRedis("127.0.0.1:1");
        }

        await using var provider = services.BuildServiceProvider();
        var log = Assert.IsType<FileAnswerLog>(provider.GetRequiredService<IAnswerLog>());
        var answers = provider.GetRequiredService<IAnswers>();
        var chatbot = (await provider.GetRequiredService<IChatbotStore>().GetAsync("demo"))!;
        var answer = await answers.StartAsync(new AnswerAdmission(new ChatQuery("Hi", "demo", "s1"), chatbot));
        using (answers.AttachReader(answer.MessageId))
        {
            var events = await answers.ReadEventsAsync(answer.MessageId).ToListAsync();
            Assert.Equal(AnswerEventKind.Done, events[^1].Kind);
        }

        Assert.Single(Directory.GetFiles(log.Folder));
    }
}
