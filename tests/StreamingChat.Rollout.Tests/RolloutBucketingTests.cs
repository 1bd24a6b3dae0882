using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.FeatureManagement;
using Microsoft.FeatureManagement.FeatureFilters;
using StreamingChat.Core;

namespace StreamingChat.Rollout.Tests;

/// <summary>The rollout as a consumer's code sees it: through FeatureManagement's own <see cref="IVariantFeatureManager"/>.</summary>
public sealed class RolloutBucketingTests : IDisposable
{
    private const int Ids = 10_000;
    private readonly ServiceProvider _services;
    private readonly IRolloutStore _store;
    private readonly IVariantFeatureManager _features;

    public RolloutBucketingTests()
    {
        var configuration = new ConfigurationBuilder().Build();
        var services = new ServiceCollection().AddLogging();
        services.AddStreamingChatCore(configuration).AddStreamingRollout();
        _services = services.BuildServiceProvider();
        _store = _services.GetRequiredService<IRolloutStore>();
        _features = _services.GetRequiredService<IVariantFeatureManager>();
    }

    public void Dispose() => _services.Dispose();

    private async Task<HashSet<int>> OnAsync(int percentage)
    {
        await _store.SetAsync(RolloutOptions.StreamingFeature, percentage, "test", null);
        var on = new HashSet<int>();
        for (var i = 0; i < Ids; i++)
        {
            if (await _features.IsEnabledAsync(RolloutOptions.StreamingFeature, new TargetingContext { UserId = $"user-{i}" }))
            {
                on.Add(i);
            }
        }

        return on;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(25)]
    [InlineData(50)]
    [InlineData(90)]
    public async Task Share_Over10000Ids_IsWithinOneAndAHalfPointsOfThePercentage(int percentage)
    {
        var share = (await OnAsync(percentage)).Count * 100.0 / Ids;

        Assert.InRange(share, percentage - 1.5, percentage + 1.5);
    }

    [Fact]
    public async Task Ends_ZeroIsOffForEveryoneAndHundredOnForEveryone()
    {
        Assert.Empty(await OnAsync(0));
        Assert.Equal(Ids, (await OnAsync(100)).Count);
    }

    [Fact]
    public async Task SameId_AlwaysGetsTheSameAnswer()
    {
        var first = await OnAsync(37);
        var again = await OnAsync(37);

        Assert.Equal(first, again);
    }

    [Fact]
    public async Task RaisingThePercentage_NeverTurnsAnIdOff()
    {
        var previous = new HashSet<int>();
        foreach (var phase in new[] { 1, 5, 10, 25, 50, 75, 90, 100 })
        {
            var on = await OnAsync(phase);
            Assert.Superset(previous, on);
            previous = on;
        }
    }

    [Fact]
    public async Task Decider_UsesUserIdElseSessionIdAndAgreesWithFeatureManagement()
    {
        await _store.SetAsync(RolloutOptions.StreamingFeature, 50, "test", null);
        var decider = _services.GetRequiredService<IStreamingModeDecider>();

        for (var i = 0; i < 200; i++)
        {
            var expected = await _features.IsEnabledAsync(RolloutOptions.StreamingFeature, new TargetingContext { UserId = $"id-{i}" });
            Assert.Equal(expected, await decider.IsStreamingEnabledAsync(new ChatQuery("q", "demo", $"id-{i}")));
            Assert.Equal(expected, await decider.IsStreamingEnabledAsync(new ChatQuery("q", "demo", "another-session", UserId: $"id-{i}")));
        }
    }

    [Fact]
    public async Task Store_KeepsACappedHistoryNewestFirst()
    {
        var store = new InMemoryRolloutStore(Microsoft.Extensions.Options.Options.Create(new RolloutOptions { HistoryLength = 3 }), TimeProvider.System);

        foreach (var p in new[] { 1, 5, 10, 25, 50 })
        {
            await store.SetAsync("streaming", p, "admin", $"phase {p}");
        }

        var state = store.Get("streaming")!;
        Assert.Equal((50, 6L, "admin", "phase 50"), (state.Percentage, state.Version, state.UpdatedBy, state.Reason));
        Assert.Equal([25, 10, 5], state.History.Select(h => h.Percentage));
        Assert.Null(await store.SetAsync("unknown", 5, "admin", null));
    }
}
