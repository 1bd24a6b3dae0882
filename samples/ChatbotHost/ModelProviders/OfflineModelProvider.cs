using Microsoft.Extensions.AI;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StreamingChat.Core;

namespace ChatbotHost;

/// <summary>Core's offline model (<see cref="OfflineChatClient"/>): answers in process, no network, no key.</summary>
internal sealed class OfflineModelProvider : ModelProvider
{
    /// <inheritdoc/>
    public override string Name => ModelOptions.Offline;

    /// <inheritdoc/>
    public override void AddTo(StreamingChatBuilder chat, ModelOptions options, IConfiguration configuration, Action<ChatClientBuilder>? instrument)
        => chat.AddChatClient(sp => ActivatorUtilities.CreateInstance<OfflineChatClient>(sp), instrument);

    /// <inheritdoc/>
    public override Task<HealthCheckResult> CheckHealthAsync(IServiceProvider services, CancellationToken cancellationToken)
        => Task.FromResult(HealthCheckResult.Healthy("The offline model answers in process."));
}
