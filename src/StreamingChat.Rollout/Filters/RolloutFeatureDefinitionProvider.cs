using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.FeatureManagement;

namespace StreamingChat.Rollout;

/// <summary>
/// Feeds the live rollout percentage into FeatureManagement as a definition that uses the built-in targeting filter.
/// </summary>
/// <remarks>
/// Why this shape: the built-in <c>Microsoft.Percentage</c> filter draws a random number on every call, so a caller
/// would flip between streamed and one-piece answers. The built-in <c>Microsoft.Targeting</c> filter is already sticky
/// the way API.md asks (a stable hash of the caller's id and the feature name into 0–100, on below the percentage, so
/// raising the percentage never turns a caller off), so rather than writing our own filter we give it the live
/// percentage as its <c>DefaultRolloutPercentage</c>. A definition provider, not configuration, because the percentage
/// changes at run time from the rollout store (and, with Redis, from other instances), and a consumer's own
/// <c>IVariantFeatureManager.IsEnabledAsync("streaming", new TargetingContext { UserId = id })</c> then gives the
/// same answer as the stream endpoint. A definition is rebuilt only when the feature's version changes.
/// </remarks>
internal sealed class RolloutFeatureDefinitionProvider(IRolloutStore store) : IFeatureDefinitionProvider
{
    private const string TargetingFilter = "Microsoft.Targeting";
    private readonly ConcurrentDictionary<string, (long Version, FeatureDefinition Definition)> _definitions = new(StringComparer.Ordinal);

    public Task<FeatureDefinition> GetFeatureDefinitionAsync(string featureName)
        => Task.FromResult(Definition(featureName)!);

    public async IAsyncEnumerable<FeatureDefinition> GetAllFeatureDefinitionsAsync()
    {
        await Task.CompletedTask.ConfigureAwait(false);
        foreach (var feature in store.Features)
        {
            if (Definition(feature) is { } definition)
            {
                yield return definition;
            }
        }
    }

    private FeatureDefinition? Definition(string feature)
    {
        if (store.Get(feature) is not { } state)
        {
            return null;
        }

        if (_definitions.TryGetValue(feature, out var cached) && cached.Version == state.Version)
        {
            return cached.Definition;
        }

        var parameters = new ConfigurationBuilder()
            .AddInMemoryCollection([new("Audience:DefaultRolloutPercentage", state.Percentage.ToString(System.Globalization.CultureInfo.InvariantCulture))])
            .Build();
        var definition = new FeatureDefinition
        {
            Name = feature,
            EnabledFor = [new FeatureFilterConfiguration { Name = TargetingFilter, Parameters = parameters }],
        };
        _definitions[feature] = (state.Version, definition);
        return definition;
    }
}
