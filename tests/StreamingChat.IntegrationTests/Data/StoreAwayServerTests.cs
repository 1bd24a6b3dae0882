using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>The Mongo-wire server stopped mid-run and started again: nothing answered meanwhile is lost.</summary>
public sealed class StoreAwayServerTests
{
    [Fact]
    public async Task StoreStopped_FiveQuestionsAnswered_StoreBack_AllTenTurnsStoredInOrderOnceEach()
    {
        var port = TestPorts.Free();
        var server = await MongoTestServer.StartOwnAsync(port);
        var connection = server.ConnectionString("outbox");
        try
        {
            var migrated = await HostProcess.RunToEndAsync("migrate", $"--ConnectionStrings:Mongo={connection}");
            Assert.True(migrated.ExitCode == 0, migrated.Output);
            await using var host = await HostInstance.StartAsync(
                $"--ConnectionStrings:Mongo={connection}",
                "--StreamingChat:Mongo:ServerSelectionTimeoutSeconds=1",
                "--StreamingChat:Chat:PersistTimeoutSeconds=2",
                "--StreamingChat:Outbox:RetrySeconds=0.2",
                "--StreamingChat:Outbox:MaxRetrySeconds=0.5",
                "--StreamingChat:Model:Offline:FirstTokenDelayMs=0",
                "--StreamingChat:Model:Offline:TokenIntervalMs=0");
            Assert.Equal("done", (await host.AskAsync("Warm up", sessionId: "warm"))[^1].Type); // the chatbot is cached now

            await server.DisposeAsync();
            var answers = new List<string>();
            for (var i = 1; i <= 5; i++)
            {
                var events = await host.AskAsync($"Question {i}", sessionId: "away");
                Assert.Equal("done", events[^1].Type);
                answers.Add(string.Concat(events.Select(e => e.Text)));
            }

            // The store's own check is unhealthy now (503); the outbox's says how many turns wait.
            using var healthResponse = await host.Client.GetAsync("/api/metrics/health/streaming");
            var health = await healthResponse.Content.ReadFromJsonAsync<JsonElement>();
            var outbox = health.GetProperty("checks").GetProperty("store-outbox");
            Assert.Equal(("degraded", 10), (outbox.GetProperty("status").GetString(), outbox.GetProperty("data").GetProperty("pendingTurns").GetInt32()));

            server = await MongoTestServer.StartOwnAsync(port);
            var store = host.Services.GetRequiredService<IConversationStore>();
            var expected = Enumerable.Range(1, 5).SelectMany(i => new[] { $"Question {i}", answers[i - 1] }).ToList();
            IReadOnlyList<ConversationMessage> stored = [];
            for (var attempt = 0; attempt < 150 && stored.Count < 10; attempt++)
            {
                await Task.Delay(100);
                try
                {
                    stored = await store.GetRecentAsync("away", 20);
                }
                catch (Exception ex) when (ex is TimeoutException or MongoDB.Driver.MongoException)
                {
                    // not back yet
                }
            }

            Assert.Equal(expected, stored.Select(t => t.Content));
            Assert.All(stored, t => Assert.Equal(MessageStatus.Complete, t.Status));
            Assert.Equal(0, host.Services.GetRequiredService<TurnOutbox>().Pending);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
