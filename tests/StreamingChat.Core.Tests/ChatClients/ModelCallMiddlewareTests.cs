using System.Net;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingChat.Testing;

namespace StreamingChat.Core.Tests;

/// <summary>The model call's middleware on its own: classification, time limits, provider objects dropped.</summary>
public sealed class ModelCallMiddlewareTests
{
    private static async Task<List<string>> ReadAsync(IChatClient client, CancellationToken cancellationToken = default)
    {
        var texts = new List<string>();
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Hi")], cancellationToken: cancellationToken))
        {
            texts.Add(update.Text);
        }

        return texts;
    }

    private sealed class FirstSays(string code) : IChatErrorClassifier
    {
        public AnswerError? Classify(Exception exception) => exception is InvalidOperationException ? new(code, "classified", Retryable: false) : null;
    }

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests, ChatErrorCodes.UpstreamRateLimited)]
    [InlineData(HttpStatusCode.BadGateway, ChatErrorCodes.UpstreamUnavailable)]
    public async Task Classification_TurnsAFailureIntoItsErrorCode_AProvidersClassifierFirst(HttpStatusCode status, string code)
    {
        var failing = new FakeChatClient { FailBeforeFirstToken = new HttpRequestException("no", null, status) };
        var provider = new FakeChatClient { FailAfterTokens = 1, FailMidStream = new InvalidOperationException("provider's own") };
        IChatErrorClassifier[] classifiers = [new FirstSays("provider_code")];

        var framework = await Assert.ThrowsAsync<AnswerErrorException>(() => ReadAsync(failing.AsBuilder().UseErrorClassification(classifiers, NullLogger.Instance).Build()));
        var own = await Assert.ThrowsAsync<AnswerErrorException>(() => ReadAsync(provider.AsBuilder().UseErrorClassification(classifiers, NullLogger.Instance).Build()));

        Assert.Equal(code, framework.Error.Code);
        Assert.Equal("provider_code", own.Error.Code);
    }

    [Fact]
    public async Task Classification_LetsTheCallersOwnCancellationThrough()
    {
        var model = new FakeChatClient { BeforeToken = (_, ct) => Task.Delay(Timeout.Infinite, ct) };
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReadAsync(model.AsBuilder().UseErrorClassification([], NullLogger.Instance).Build(), cancel.Token));
    }

    [Fact]
    public async Task Timeouts_NoFirstToken_AndThenSilence_EachFailAsUpstreamTimeout_AndCancelTheCall()
    {
        var silentFromStart = new FakeChatClient { BeforeToken = (_, ct) => Task.Delay(Timeout.Infinite, ct) };
        var silentLater = new FakeChatClient { Tokens = ["one", "two"], BeforeToken = (i, ct) => i == 1 ? Task.Delay(Timeout.Infinite, ct) : Task.CompletedTask };
        // Each case trips one limit only, and the other is far off, so a busy machine cannot trip the wrong one.
        var firstTokenLimit = new ChatStreamOptions { FirstTokenTimeoutSeconds = 0.2, IdleTimeoutSeconds = 30 };
        var idleLimit = new ChatStreamOptions { FirstTokenTimeoutSeconds = 30, IdleTimeoutSeconds = 0.2 };

        var first = await Assert.ThrowsAsync<AnswerErrorException>(() => ReadAsync(silentFromStart.AsBuilder().UseModelTimeouts(() => firstTokenLimit, TimeProvider.System, NullLogger.Instance).Build()));
        var idle = await Assert.ThrowsAsync<AnswerErrorException>(() => ReadAsync(silentLater.AsBuilder().UseModelTimeouts(() => idleLimit, TimeProvider.System, NullLogger.Instance).Build()));

        Assert.Equal((ChatErrorCodes.UpstreamTimeout, true), (first.Error.Code, first.Error.Retryable));
        Assert.Contains("first token", first.Error.Message, StringComparison.Ordinal);
        Assert.Contains("went silent", idle.Error.Message, StringComparison.Ordinal);
        Assert.True(silentFromStart.Cancelled.Task.IsCompleted);
        Assert.True(silentLater.Cancelled.Task.IsCompleted);
    }

    [Fact]
    public async Task ProviderObjects_AreDroppedFromEachUpdate_TextStays()
    {
        var updates = new List<ChatResponseUpdate>();
        var client = new RawClient().AsBuilder().UseProviderObjectRelease().Build();

        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Hi")]))
        {
            updates.Add(update);
        }

        Assert.Equal("hello", Assert.Single(updates).Text);
        Assert.Null(updates[0].RawRepresentation);
        Assert.All(updates[0].Contents, c => Assert.Null(c.RawRepresentation));
    }

    private sealed class RawClient : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, [new TextContent("hello") { RawRepresentation = new byte[1024] }]) { RawRepresentation = new byte[4096] };
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
