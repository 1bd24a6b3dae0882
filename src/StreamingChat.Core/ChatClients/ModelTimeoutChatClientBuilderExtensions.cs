using Microsoft.Extensions.Logging;
using StreamingChat.Core;

namespace Microsoft.Extensions.AI;

/// <summary>Adds <see cref="ModelTimeoutChatClient"/> to a chat client pipeline.</summary>
public static class ModelTimeoutChatClientBuilderExtensions
{
    /// <summary>
    /// Bounds the first token and each silence of a streamed call by the limits <paramref name="limits"/> gives at the
    /// call's start (<see cref="ChatStreamOptions.FirstTokenTimeoutSeconds"/>, <see cref="ChatStreamOptions.IdleTimeoutSeconds"/>;
    /// for example <c>() =&gt; monitor.CurrentValue</c> over an <c>IOptionsMonitor&lt;ChatStreamOptions&gt;</c>), measured
    /// with <paramref name="time"/>; a call past either fails with <c>upstream_timeout</c>, logged to <paramref name="logger"/>.
    /// </summary>
    public static ChatClientBuilder UseModelTimeouts(this ChatClientBuilder builder, Func<ChatStreamOptions> limits, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        return builder.Use(inner => new ModelTimeoutChatClient(inner, limits, time, logger));
    }
}
