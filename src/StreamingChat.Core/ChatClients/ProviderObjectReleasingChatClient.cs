using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace StreamingChat.Core;

/// <summary>
/// Drops the provider's own objects from each update as it passes. Middleware that keeps every update of an answer
/// until it ends (Microsoft.Extensions.AI's <c>UseOpenTelemetry()</c> does, to build its final response) would otherwise
/// hold each token's whole SDK object, with its parsed JSON, for the length of the stream: 50-60 MB more at 200
/// concurrent chats (benchmarks/README.md). Text, usage and finish reason stay.
/// </summary>
internal sealed class ProviderObjectReleasingChatClient(IChatClient innerClient) : DelegatingChatClient(innerClient)
{
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            update.RawRepresentation = null;
            var contents = update.Contents;
            for (var i = 0; i < contents.Count; i++)
            {
                contents[i].RawRepresentation = null;
            }

            yield return update;
        }
    }
}
