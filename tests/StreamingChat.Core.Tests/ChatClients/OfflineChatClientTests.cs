using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace StreamingChat.Core.Tests;

public sealed class OfflineChatClientTests
{
    private static OfflineChatClient Create(OfflineModelOptions? options = null, TimeProvider? time = null)
        => new(Options.Create(options ?? new OfflineModelOptions { FirstTokenDelayMs = 0, TokenIntervalMs = 0 }), time);

    private static async Task<List<ChatResponseUpdate>> StreamAsync(OfflineChatClient client, string question, ChatOptions? options = null)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, question)], options))
        {
            updates.Add(update);
        }

        return updates;
    }

    [Fact]
    public async Task GetStreamingResponseAsync_SameQuestion_SameAnswer_OtherQuestion_OtherAnswer()
    {
        var client = Create();

        var first = string.Concat((await StreamAsync(client, "What is SSE?")).Select(u => u.Text));
        var again = string.Concat((await StreamAsync(client, "What is SSE?")).Select(u => u.Text));
        var other = string.Concat((await StreamAsync(client, "How do I deploy?")).Select(u => u.Text));

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.StartsWith("You asked: \"What is SSE?\".", first, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_StreamsManySmallTokensAndReportsUsage()
    {
        var updates = await StreamAsync(Create(), "Hello");

        var tokens = updates.Where(u => u.Text.Length > 0).ToList();
        Assert.True(tokens.Count > 10);
        Assert.All(tokens, t => Assert.InRange(t.Text.Length, 1, 5));
        var last = updates[^1];
        Assert.Equal(ChatFinishReason.Stop, last.FinishReason);
        var usage = Assert.Single(last.Contents.OfType<UsageContent>()).Details;
        Assert.Equal(tokens.Count, usage.OutputTokenCount);
        Assert.True(usage.InputTokenCount > 0);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_MaxOutputTokens_TruncatesWithLength()
    {
        var updates = await StreamAsync(Create(), "Hello", new ChatOptions { MaxOutputTokens = 3 });

        Assert.Equal(3, updates.Count(u => u.Text.Length > 0));
        Assert.Equal(ChatFinishReason.Length, updates[^1].FinishReason);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_Pace_FollowsTheOptionsOnTheGivenClock()
    {
        var time = new FakeTimeProvider();
        var client = Create(new OfflineModelOptions { FirstTokenDelayMs = 150, TokenIntervalMs = 20 }, time);
        await using var stream = client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Hi")]).GetAsyncEnumerator();

        var first = stream.MoveNextAsync().AsTask();
        time.Advance(TimeSpan.FromMilliseconds(149));
        Assert.False(first.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(await first);

        var second = stream.MoveNextAsync().AsTask();
        time.Advance(TimeSpan.FromMilliseconds(19));
        Assert.False(second.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(await second);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_Cancelled_Stops()
    {
        var client = Create(new OfflineModelOptions { FirstTokenDelayMs = 0, TokenIntervalMs = 10_000 });
        using var cts = new CancellationTokenSource();
        await using var stream = client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Hi")], cancellationToken: cts.Token).GetAsyncEnumerator();
        Assert.True(await stream.MoveNextAsync());

        var next = stream.MoveNextAsync().AsTask();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next);
    }

    [Fact]
    public void GetService_ReportsOfflineModelId()
        => Assert.Equal(OfflineModelOptions.ModelId, Create().GetService<ChatClientMetadata>()!.DefaultModelId);
}
