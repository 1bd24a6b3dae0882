using Microsoft.Extensions.AI;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StreamingChat.Core;

namespace ChatbotHost;

/// <summary>
/// A model the host can answer with, chosen by <c>StreamingChat:Model:Provider</c>. Each provider is one class deriving from
/// this one in this folder; the host finds them all at start-up (<see cref="All"/>), so a new provider is one file: its
/// name, its settings' checks, the <see cref="IChatClient"/> it adds, and how the <c>model</c> health check probes it.
/// </summary>
internal abstract class ModelProvider
{
    /// <summary>Every provider of the host, by name.</summary>
    public static IReadOnlyList<ModelProvider> All { get; } = typeof(ModelProvider).Assembly.GetTypes()
        .Where(type => type.IsSubclassOf(typeof(ModelProvider)) && !type.IsAbstract)
        .Select(type => (ModelProvider)Activator.CreateInstance(type)!)
        .OrderBy(provider => provider.Name, StringComparer.Ordinal)
        .ToList();

    /// <summary>The value of <c>StreamingChat:Model:Provider</c> that chooses it (compared without case).</summary>
    public abstract string Name { get; }

    /// <summary>Whether it answers when no provider is named (the first of <see cref="All"/> that says so; else the offline model).</summary>
    public virtual bool ChosenWhenUnnamed(ModelOptions options) => false;

    /// <summary>
    /// The checks of its settings, run at start-up and by <c>validate-config</c> whichever provider is chosen
    /// (<paramref name="chosen"/> says whether it is): each failure names a key, never a value.
    /// </summary>
    public virtual IEnumerable<string> Validate(ModelOptions options, IConfiguration configuration, bool chosen) => [];

    /// <summary>Adds its <see cref="IChatClient"/> (and whatever that needs), with <paramref name="instrument"/> around it.</summary>
    public abstract void AddTo(StreamingChatBuilder chat, ModelOptions options, IConfiguration configuration, Action<ChatClientBuilder>? instrument);

    /// <summary>Whether it answers now, for the <c>model</c> health check (asked at most every 30 s).</summary>
    public abstract Task<HealthCheckResult> CheckHealthAsync(IServiceProvider services, CancellationToken cancellationToken);

    /// <summary>Lines for <c>validate-config</c>'s summary under "Model provider" (never a secret).</summary>
    public virtual IEnumerable<string> Describe(ModelOptions options) => [];

    /// <summary>The provider of that name, if the host has one.</summary>
    public static ModelProvider? Find(string? name)
        => All.FirstOrDefault(provider => string.Equals(provider.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The provider in effect: the one named, else the first that is chosen unnamed, else the offline model.</summary>
    public static ModelProvider? Effective(ModelOptions options)
        => string.IsNullOrWhiteSpace(options.Provider)
            ? All.FirstOrDefault(provider => provider.ChosenWhenUnnamed(options)) ?? Find(ModelOptions.Offline)
            : Find(options.Provider);
}
