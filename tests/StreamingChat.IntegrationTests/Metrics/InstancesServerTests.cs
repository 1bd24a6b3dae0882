using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using StreamingChat.AspNetCore;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary><c>GET /api/metrics/instances</c>: every live instance through one real Redis; this one alone without.</summary>
public sealed class InstancesServerTests
{
    private static async Task<List<JsonElement>> InstancesAsync(HostInstance host)
        => [.. (await host.Client.GetFromJsonAsync<JsonElement>("/api/metrics/instances")).EnumerateArray()];

    private static async Task<List<JsonElement>> EventuallyAsync(HostInstance host, Func<List<JsonElement>, bool> condition)
    {
        for (var i = 0; i < 100; i++)
        {
            var instances = await InstancesAsync(host);
            if (condition(instances))
            {
                return instances;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("The instance list never became what was expected: " + JsonSerializer.Serialize(await InstancesAsync(host)));
    }

    private static string Id(HostInstance host) => host.Services.GetRequiredService<StreamingChatInstance>().InstanceId;

    [Fact]
    public async Task TwoInstancesOnOneRedis_EachListsBoth_ADrainingOneIsShown_AndOneThatStopsLeaves()
    {
        await using var redis = await RedisTestServer.StartAsync();
        await using var a = await HostInstance.StartAsync($"--REDIS_URL=redis://127.0.0.1:{redis.Port}");
        var b = await HostInstance.StartAsync($"--REDIS_URL=redis://127.0.0.1:{redis.Port}");
        try
        {
            var fromA = await EventuallyAsync(a, list => list.Count == 2);
            Assert.Equal(Id(a), fromA[0].GetProperty("instanceId").GetString()); // this instance first
            Assert.Equal(Id(b), fromA[1].GetProperty("instanceId").GetString());
            Assert.All(fromA, i => Assert.False(i.GetProperty("draining").GetBoolean()));
            Assert.All(fromA, i => Assert.True(i.GetProperty("lastSeen").GetDateTimeOffset() >= i.GetProperty("startedAt").GetDateTimeOffset()));
            Assert.Equal(2, (await EventuallyAsync(b, list => list.Count == 2)).Count);

            b.Services.GetRequiredService<StreamingChatDrain>().BeginDrain();
            await EventuallyAsync(a, list => list.Count == 2 && list[1].GetProperty("draining").GetBoolean());
        }
        finally
        {
            await b.DisposeAsync();
        }

        var alone = await EventuallyAsync(a, list => list.Count == 1);
        Assert.Equal(Id(a), alone[0].GetProperty("instanceId").GetString());
    }

    [Fact]
    public async Task WithoutRedis_TheListIsThisInstance()
    {
        await using var host = await HostInstance.StartAsync();

        var instance = Assert.Single(await InstancesAsync(host));
        Assert.Equal((Id(host), false, 0), (instance.GetProperty("instanceId").GetString(), instance.GetProperty("draining").GetBoolean(), instance.GetProperty("activeStreams").GetInt32()));
    }
}
