using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MongoDB.Driver;
using MongoDB.Driver.Core.Events;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.Mongo.Tests;

/// <summary>Chatbot reads through HybridCache, counted with the driver's command events.</summary>
[Collection(MongoCollection.Name)]
public sealed class CachedChatbotReadServerTests(MongoFixture fixture)
{
    private sealed class Instance : IAsyncDisposable
    {
        private int _chatbotFinds;

        public Instance(string connectionString, string? redis, int localSeconds = 30)
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["StreamingChat:Cache:ChatbotLocalSeconds"] = localSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }).Build();
            var services = new ServiceCollection().AddLogging();
            var builder = services.AddStreamingChatCore(configuration)
                .AddChatClient(_ => new FakeChatClient())
                .AddMongoStores(connectionString, settings => settings.ClusterConfigurator = cluster => cluster.Subscribe<CommandStartedEvent>(e =>
                {
                    if (e.CommandName == "find" && e.Command["find"] == "chatbots")
                    {
                        Interlocked.Increment(ref _chatbotFinds);
                    }
                }));
            if (redis is not null)
            {
                builder.AddRedis(redis);
            }

            Services = services.BuildServiceProvider();
        }

        public ServiceProvider Services { get; }

        public int ChatbotFinds => Volatile.Read(ref _chatbotFinds);

        public IChatbotStore Chatbots => Services.GetRequiredService<IChatbotStore>();

        public async Task<string?> SystemPromptAsync(string chatbotId = "bot")
            => (await Chatbots.GetAsync(chatbotId)) is { Enabled: true } chatbot ? chatbot.SystemPrompt : null;

        public ValueTask DisposeAsync() => Services.DisposeAsync();
    }

    [Fact]
    public async Task Questions_ReadTheChatbotFromMongoOnce_AndAChangeHereTakesEffectAtOnce()
    {
        var connection = fixture.NewOptions("cache").ConnectionString!;
        await using var instance = new Instance(connection, redis: null);
        await instance.Chatbots.UpsertAsync(new ChatbotDefinition { Id = "bot", SystemPrompt = "first" });

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("first", await instance.SystemPromptAsync());
        }

        Assert.Equal(1, instance.ChatbotFinds);

        await instance.Chatbots.UpsertAsync(new ChatbotDefinition { Id = "bot", SystemPrompt = "second" });
        Assert.Equal("second", await instance.SystemPromptAsync());
        Assert.Equal("second", await instance.SystemPromptAsync());
        Assert.Equal(2, instance.ChatbotFinds);
    }

    [Fact]
    public async Task UnknownChatbot_IsCachedToo_SoRepeatedMadeUpIdsDoNotReachMongo()
    {
        await using var instance = new Instance(fixture.NewOptions("negative").ConnectionString!, redis: null);

        for (var i = 0; i < 3; i++)
        {
            Assert.Null(await instance.Chatbots.GetAsync("nope"));
        }

        Assert.Equal(1, instance.ChatbotFinds);

        await instance.Chatbots.UpsertAsync(new ChatbotDefinition { Id = "nope", SystemPrompt = "now here" });
        Assert.Equal("now here", await instance.SystemPromptAsync("nope"));
    }

    [Fact]
    public async Task TwoInstancesOnOneRedis_SecondIsServedFromRedis_AndSeesAChangeWithinItsLocalLifetime()
    {
        await using var redis = await RedisTestServer.StartAsync();
        var connection = fixture.NewOptions("shared").ConnectionString!;
        await using var a = new Instance(connection, redis.ConnectionString, localSeconds: 1);
        await using var b = new Instance(connection, redis.ConnectionString, localSeconds: 1);
        await a.Chatbots.UpsertAsync(new ChatbotDefinition { Id = "bot", SystemPrompt = "first" });

        Assert.Equal("first", await a.SystemPromptAsync());
        Assert.Equal("first", await b.SystemPromptAsync());
        Assert.Equal(1, a.ChatbotFinds);
        Assert.Equal(0, b.ChatbotFinds);

        await a.Chatbots.UpsertAsync(new ChatbotDefinition { Id = "bot", SystemPrompt = "second" });
        Assert.Equal("second", await a.SystemPromptAsync());

        var deadline = DateTime.UtcNow.AddSeconds(10);
        string? seen;
        while ((seen = await b.SystemPromptAsync()) != "second" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Equal("second", seen);
    }

    [Fact]
    public async Task HealthCheck_IsHealthyWhenMongoAnswers_AndUnhealthyWhenNothingListens()
    {
        using var mongo = fixture.NewMongo("health");
        var healthy = await new MongoHealthCheck(mongo).CheckHealthAsync(Context());
        Assert.Equal(HealthStatus.Healthy, healthy.Status);

        using var away = new StreamingChatMongo(Microsoft.Extensions.Options.Options.Create(new MongoStoreOptions
        {
            ConnectionString = $"mongodb://127.0.0.1:{TestPorts.Free()}/x",
            ServerSelectionTimeoutSeconds = 1,
        }));
        var down = await new MongoHealthCheck(away).CheckHealthAsync(Context());
        Assert.Equal(HealthStatus.Unhealthy, down.Status);
    }

    private static HealthCheckContext Context() => new()
    {
        Registration = new HealthCheckRegistration("mongo", _ => null!, HealthStatus.Unhealthy, null),
    };
}
