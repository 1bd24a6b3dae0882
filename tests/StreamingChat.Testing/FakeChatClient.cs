using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace StreamingChat.Testing;

/// <summary>
/// An <see cref="IChatClient"/> for unit tests: streams the given tokens, can fail before or after any of them,
/// can wait on a callback between tokens, and records what it was asked and whether it was cancelled.
/// </summary>
public sealed class FakeChatClient : IChatClient
{
    private readonly List<IReadOnlyList<ChatMessage>> _calls = [];

    /// <summary>The tokens each call streams.</summary>
    public IReadOnlyList<string> Tokens { get; set; } = ["Hel", "lo", "!"];

    /// <summary>Throws this before streaming anything.</summary>
    public Exception? FailBeforeFirstToken { get; set; }

    /// <summary>Throws <see cref="FailMidStream"/> after this many tokens.</summary>
    public int? FailAfterTokens { get; set; }

    /// <summary>What is thrown after <see cref="FailAfterTokens"/> tokens.</summary>
    public Exception FailMidStream { get; set; } = new IOException("The connection was reset.");

    /// <summary>Awaited before each token (its index); lets a test hold or pace the stream.</summary>
    public Func<int, CancellationToken, Task>? BeforeToken { get; set; }

    /// <summary>The usage reported at the end; none when null.</summary>
    public UsageDetails? Usage { get; set; } = new() { InputTokenCount = 12, OutputTokenCount = 3 };

    /// <summary>Completes when a call's cancellation token is cancelled.</summary>
    public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The prompts of every call, in order.</summary>
    public IReadOnlyList<IReadOnlyList<ChatMessage>> Calls { get { lock (_calls) { return [.. _calls]; } } }

    /// <summary>The options of the last call.</summary>
    public ChatOptions? LastOptions { get; private set; }

    /// <inheritdoc/>
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        => GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    /// <inheritdoc/>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        lock (_calls)
        {
            _calls.Add([.. messages]);
        }

        LastOptions = options;
        using var registration = cancellationToken.Register(() => Cancelled.TrySetResult());
        await using var noticed = new CancellationNoticed(this, cancellationToken);
        await Task.Yield();
        if (FailBeforeFirstToken is { } before)
        {
            throw before;
        }

        for (var i = 0; i < Tokens.Count; i++)
        {
            if (FailAfterTokens == i)
            {
                throw FailMidStream;
            }

            if (BeforeToken is { } wait)
            {
                await wait(i, cancellationToken);
            }

            cancellationToken.ThrowIfCancellationRequested();
            yield return new ChatResponseUpdate(ChatRole.Assistant, Tokens[i]);
        }

        var final = new ChatResponseUpdate { Role = ChatRole.Assistant, FinishReason = ChatFinishReason.Stop };
        if (Usage is not null)
        {
            final.Contents.Add(new UsageContent(Usage));
        }

        yield return final;
    }

    /// <summary>
    /// Notes a cancelled call when the stream ends, too: a cancellation whose callbacks run the stream's own continuation
    /// inline can end the stream, and drop its registration, before that registration's callback has run.
    /// </summary>
    private sealed class CancellationNoticed(FakeChatClient client, CancellationToken cancellationToken) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            if (cancellationToken.IsCancellationRequested)
            {
                client.Cancelled.TrySetResult();
            }

            return ValueTask.CompletedTask;
        }
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
        => serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("fake", defaultModelId: "fake-model") : null;

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}
