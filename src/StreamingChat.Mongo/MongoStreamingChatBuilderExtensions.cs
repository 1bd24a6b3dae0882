using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MongoDB.Driver;
using StreamingChat.Core;
using StreamingChat.Mongo;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the MongoDB stores to StreamingChat.</summary>
public static class MongoStreamingChatBuilderExtensions
{
    /// <summary>
    /// Keeps chatbots and conversations in MongoDB (options from <c>StreamingChat:Mongo</c>, validated at start-up), with
    /// chatbot reads served through <see cref="HybridCache"/>, and adds the <c>mongo</c> health check, which readiness
    /// waits for. <paramref name="connectionString"/> overrides <c>StreamingChat:Mongo:ConnectionString</c>;
    /// <paramref name="configureClient"/> adds to the driver's settings (for example command event subscribers).
    /// Run <c>MongoMigrator.MigrateAsync()</c> (the sample host's <c>migrate</c>) to create the indexes.
    /// </summary>
    public static StreamingChatBuilder AddMongoStores(this StreamingChatBuilder builder, string? connectionString = null, Action<MongoClientSettings>? configureClient = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<MongoStoreOptions>().Bind(builder.Configuration.GetSection(MongoStoreOptions.SectionName));
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            options.Configure(o => o.ConnectionString = connectionString);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MongoStoreOptions>, MongoStoreOptionsValidator>());
        options
            .Validate(o => !string.IsNullOrWhiteSpace(o.ConnectionString), "StreamingChat:Mongo:ConnectionString is required with AddMongoStores().")
            .Validate(o => string.IsNullOrWhiteSpace(o.ConnectionString) || MongoStoreOptions.TryParse(o.ConnectionString) is not null, "StreamingChat:Mongo:ConnectionString is not a valid MongoDB connection string.")
            .ValidateOnStart();

        services.TryAddSingleton(sp => new StreamingChatMongo(sp.GetRequiredService<IOptions<MongoStoreOptions>>(), configureClient));
        services.TryAddSingleton<MongoChatbotStore>();
        services.TryAddSingleton<MongoMigrator>();
        services.RemoveAll<IChatbotStore>();
        services.AddSingleton<IChatbotStore>(sp => new CachedChatbotStore(
            sp.GetRequiredService<MongoChatbotStore>(),
            sp.GetRequiredService<HybridCache>(),
            sp.GetRequiredService<IOptions<ChatbotCacheOptions>>(),
            sp.GetRequiredService<ILogger<CachedChatbotStore>>()));
        builder.AddConversationStore<MongoConversationStore>();
        services.AddHealthChecks().AddCheck<MongoHealthCheck>("mongo", HealthStatus.Unhealthy, [StreamingChatHealthTags.Ready]);
        return builder;
    }
}
