using StreamingChat.Core;

namespace StreamingChat.Mongo.Tests;

[Collection(MongoCollection.Name)]
public sealed class MongoChatbotStoreServerTests(MongoFixture fixture)
{
    [Fact]
    public async Task Upsert_ThenGetAndList_RoundTripEveryField()
    {
        using var mongo = fixture.NewMongo("chatbots");
        var store = new MongoChatbotStore(mongo);
        var support = new ChatbotDefinition
        {
            Id = "support",
            Name = "Support",
            SystemPrompt = "Be brief.",
            Model = "gpt-4o-mini",
            Temperature = 0.25f,
            MaxOutputTokens = 400,
            Enabled = true,
            SpeechVoice = "de-DE-Standard-A",
            SpeechLanguage = "de-DE",
            SpeechFormat = "mp3",
            Tools = ["get_time", "open_ticket"],
            UpdatedAt = new DateTimeOffset(2026, 11, 24, 10, 0, 0, 123, TimeSpan.Zero),
        };
        await store.UpsertAsync(support);
        await store.UpsertAsync(new ChatbotDefinition { Id = "alpha", UpdatedAt = support.UpdatedAt });

        Assert.Equal(support, await store.GetAsync("support"));
        Assert.Null(await store.GetAsync("missing"));
        Assert.Equal(["alpha", "support"], (await store.ListAsync()).Select(c => c.Id));
    }

    [Fact]
    public async Task Upsert_Disabled_ReplacesTheChatbot()
    {
        using var mongo = fixture.NewMongo("disable");
        var store = new MongoChatbotStore(mongo);
        var chatbot = new ChatbotDefinition { Id = "bot", Name = "Bot" };
        await store.UpsertAsync(chatbot);

        await store.UpsertAsync(chatbot with { Enabled = false });

        var stored = await store.GetAsync("bot");
        Assert.NotNull(stored);
        Assert.False(stored.Enabled);
        Assert.Single(await store.ListAsync());
    }
}
