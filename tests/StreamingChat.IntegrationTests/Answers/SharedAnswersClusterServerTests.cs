using System.Net.Http.Json;
using System.Text.Json;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>One three-node Redis Cluster for a test class.</summary>
public sealed class RedisClusterFixture : IAsyncLifetime
{
    /// <summary>The cluster.</summary>
    public RedisClusterTestServer Cluster { get; private set; } = null!;

    /// <inheritdoc/>
    public async Task InitializeAsync() => Cluster = await RedisClusterTestServer.StartAsync();

    /// <inheritdoc/>
    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// The same cross-instance resume and stop, and the shared rollout, on a three-node Redis Cluster: every key a script
/// touches shares a hash tag, so the code that runs on one Redis runs on a cluster.
/// </summary>
[Collection(SoloCollection.Name)]
public sealed class SharedAnswersClusterServerTests(MongoServerFixture mongo, RedisClusterFixture cluster)
    : SharedAnswersTests(mongo), IClassFixture<MongoServerFixture>, IClassFixture<RedisClusterFixture>
{
    protected override string RedisConnection => cluster.Cluster.ConnectionString;

    [Fact]
    public Task CutOnA_ResumedOnB_OnACluster() => CutOnAResumedOnBAsync();

    [Fact]
    public Task StopSentToB_WhileAProduces_OnACluster() => StopSentToBAsync();

    [Fact]
    public async Task RolloutChangedOnA_IsWhatBReports_WithTheSameHistory_OnACluster()
    {
        await using var a = await StartAsync();
        await using var b = await StartAsync();
        using var clientA = Client(a);
        using var clientB = Client(b);

        await SetPercentageAsync(clientA, 25);
        await WaitUntilAsync(async () => (await FeatureAsync(clientB)).GetProperty("percentage").GetInt32() == 25);
        await SetPercentageAsync(clientB, 100);
        await WaitUntilAsync(async () => (await FeatureAsync(clientA)).GetProperty("percentage").GetInt32() == 100);

        var stateA = await FeatureAsync(clientA);
        var stateB = await FeatureAsync(clientB);
        Assert.Equal(stateA.GetProperty("version").GetInt64(), stateB.GetProperty("version").GetInt64());
        Assert.Equal(stateA.GetProperty("history").GetRawText(), stateB.GetProperty("history").GetRawText());

        // The questions each instance answered count in the one service-wide window.
        Upstream.Default = Paced(3, 5);
        await AskAndCutAsync(clientA, "win-a", afterId: null);
        await AskAndCutAsync(clientB, "win-b", afterId: null);
        await WaitUntilAsync(async () => (await clientA.GetFromJsonAsync<JsonElement>("/api/metrics/streaming/series?scope=service&seconds=60"))
            .EnumerateArray().Sum(i => i.GetProperty("requests").GetInt64()) >= 2);
    }

    private static async Task SetPercentageAsync(HttpClient client, int percentage)
    {
        using var post = new HttpRequestMessage(HttpMethod.Post, "/api/metrics/feature-flags/rollout") { Content = JsonContent.Create(new { feature = "streaming", percentage, reason = "phase 4" }) };
        post.Headers.Add("X-Admin-Key", AdminKey);
        using var posted = await client.SendAsync(post);
        posted.EnsureSuccessStatusCode();
    }
}
