using StreamingChat.Core;

namespace Microsoft.Extensions.AI;

/// <summary>Adds <see cref="ProviderObjectReleasingChatClient"/> to a chat client pipeline.</summary>
internal static class ProviderObjectReleasingChatClientBuilderExtensions
{
    /// <summary>Drops the provider's objects from each streamed update once it has passed (see <see cref="ProviderObjectReleasingChatClient"/>).</summary>
    public static ChatClientBuilder UseProviderObjectRelease(this ChatClientBuilder builder)
        => builder.Use(inner => new ProviderObjectReleasingChatClient(inner));
}
