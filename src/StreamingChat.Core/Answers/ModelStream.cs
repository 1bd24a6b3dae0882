using Microsoft.Extensions.AI;

namespace StreamingChat.Core;

/// <summary>
/// One answer's model call and the speaking of its sentences, read as one stream: the next update, or a sentence's audio
/// when that is ready first. Disposing cancels the call first, then lets go of it, so a call still in flight sees the
/// cancellation and closes its connection.
/// </summary>
internal sealed class ModelStream : IAsyncDisposable
{
    private readonly CancellationTokenSource _cancellation;
    private readonly IAsyncEnumerator<ChatResponseUpdate> _upstream;
    private readonly bool _audioBetweenTokens;
    private Task<bool>? _pendingMove;

    public ModelStream(IChatClient client, SpeechSynthesis? speech, PreparedAnswer chat, bool streaming, CancellationToken cancellationToken)
    {
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _upstream = client.GetStreamingResponseAsync(chat.Messages, chat.Options, _cancellation.Token).GetAsyncEnumerator(_cancellation.Token);
        Speech = speech?.Begin(chat, _cancellation.Token);
        _audioBetweenTokens = streaming;
    }

    /// <summary>The sentences being spoken; null when the answer is not spoken.</summary>
    public SpeechSession? Speech { get; }

    /// <summary>The update <see cref="NextAsync"/> moved to.</summary>
    public ChatResponseUpdate Current => _upstream.Current;

    /// <summary>
    /// Moves to the model's next update: true when there is one, false at its end, null when a sentence's audio became
    /// ready first (take it with <see cref="SpeechSession.TryTakeReady"/>, then call again).
    /// </summary>
    public async ValueTask<bool?> NextAsync()
    {
        if (Speech is null)
        {
            return await _upstream.MoveNextAsync().ConfigureAwait(false);
        }

        // While speaking, the next token and the next sentence's audio are awaited together.
        _pendingMove ??= _upstream.MoveNextAsync().AsTask();
        if (_audioBetweenTokens && !_pendingMove.IsCompleted && Speech.NextReady is { } ready)
        {
            await Task.WhenAny(_pendingMove, ready).ConfigureAwait(false);
            if (!_pendingMove.IsCompleted)
            {
                return null;
            }
        }

        var move = _pendingMove;
        _pendingMove = null;
        return await move.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _cancellation.CancelAsync().ConfigureAwait(false);
        if (_pendingMove is not null)
        {
            // A token still being awaited (the answer ended while audio went out) must finish before the enumerator goes.
            await Quietly(_pendingMove).ConfigureAwait(false);
        }

        if (Speech is not null)
        {
            await Speech.DisposeAsync().ConfigureAwait(false);
        }

        await Quietly(_upstream.DisposeAsync().AsTask()).ConfigureAwait(false);
        _cancellation.Dispose();
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException or AnswerErrorException)
        {
            // The model call is over either way.
        }
    }
}
