using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using StreamingChat.Core;

namespace Microsoft.Extensions.AI;

/// <summary>Adds <see cref="ModelCallMetricsChatClient"/> to a chat client pipeline.</summary>
public static class ModelCallMetricsChatClientBuilderExtensions
{
    /// <summary>
    /// Records the model call's <c>gen_ai.client.*</c> metrics without recording spans (see
    /// <see cref="ModelCallMetricsChatClient"/>), with the <see cref="IMeterFactory"/> of the pipeline's service provider.
    /// Use it instead of <c>UseOpenTelemetry()</c> when no spans are exported, not as well as it: both record the same instruments.
    /// </summary>
    public static ChatClientBuilder UseModelCallMetrics(this ChatClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, sp) => new ModelCallMetricsChatClient(inner, sp.GetRequiredService<IMeterFactory>()));
    }
}
