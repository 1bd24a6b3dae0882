using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamingChat.Core;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers StreamingChat's core services.</summary>
public static class StreamingChatCoreServiceCollectionExtensions
{
    /// <summary>
    /// Adds the answers (<see cref="IAnswers"/>) with their embedded defaults (in-memory stores seeded from <c>StreamingChat:Chatbots</c>,
    /// the offline model, streaming for everyone) and binds and validates its options at start-up. Web apps call
    /// <c>AddStreamingChat()</c> instead, which calls this.
    /// </summary>
    public static StreamingChatBuilder AddStreamingChatCore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<ChatStreamOptions>().Bind(configuration.GetSection(ChatStreamOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ChatStreamOptions>, ChatStreamOptionsValidator>());
        services.AddOptions<OfflineModelOptions>().Bind(configuration.GetSection(OfflineModelOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OfflineModelOptions>, OfflineModelOptionsValidator>());
        services.AddOptions<ChatbotSeedOptions>().Bind(configuration.GetSection(ChatbotSeedOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ChatbotSeedOptions>, ChatbotSeedOptionsValidator>());
        services.AddOptions<OutboxOptions>().Bind(configuration.GetSection(OutboxOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OutboxOptions>, OutboxOptionsValidator>());
        services.TryAddSingleton(sp => new TurnOutbox(
            sp.GetRequiredService<IConversationStore>(),
            sp.GetRequiredService<IOptionsMonitor<OutboxOptions>>(),
            sp.GetRequiredService<IOptionsMonitor<ChatStreamOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<TurnOutbox>>(),
            sp.GetService<IMeterFactory>(),
            sp.GetService<ITurnOutboxCopy>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, TurnOutboxFlusher>());
        services.AddHealthChecks().AddCheck<TurnOutboxHealthCheck>("store-outbox", HealthStatus.Degraded, [StreamingChatHealthTags.Ready]);
        services.AddOptions<AnswerOptions>().Bind(configuration.GetSection(AnswerOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AnswerOptions>, AnswerOptionsValidator>());
        services.AddStreamingChatMetrics(configuration);
        services.AddOptions<ChatbotCacheOptions>().Bind(configuration.GetSection(ChatbotCacheOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ChatbotCacheOptions>, ChatbotCacheOptionsValidator>());
        services.AddHybridCache();
        services.AddHealthChecks();

        services.AddOptions<SpeechOptions>().Bind(configuration.GetSection(SpeechOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SpeechOptions>, SpeechOptionsValidator>());
        services.AddOptions<EmbeddedSpeechOptions>().Bind(configuration.GetSection(EmbeddedSpeechOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EmbeddedSpeechOptions>, EmbeddedSpeechOptionsValidator>());
        services.TryAddKeyedSingleton<ITextToSpeechClient>(StreamingChatBuilder.SpeechClientKey, (sp, _) => ActivatorUtilities.CreateInstance<EspeakNgTextToSpeechClient>(sp));
        services.TryAddSingleton(sp => new SpeechSynthesis(
            sp.GetKeyedService<ITextToSpeechClient>(StreamingChatBuilder.SpeechClientKey),
            sp.GetRequiredService<IOptionsMonitor<SpeechOptions>>(),
            sp.GetRequiredService<StreamingChatMetrics>(),
            sp.GetRequiredService<ILogger<SpeechSynthesis>>()));
        services.TryAddSingleton<IChatbotStore, InMemoryChatbotStore>();
        services.TryAddSingleton<IConversationStore, InMemoryConversationStore>();
        services.TryAddSingleton<IAnswerLog, InMemoryAnswerLog>();
        services.TryAddSingleton<IStreamingModeDecider, AlwaysStreamingModeDecider>();
        services.TryAddKeyedSingleton<IChatClient>(StreamingChatBuilder.ChatClientKey, (sp, _) => ActivatorUtilities.CreateInstance<OfflineChatClient>(sp));
        services.TryAddSingleton<ChatTools>();
        services.TryAddSingleton<IToolApprovals, InMemoryToolApprovals>();
        services.TryAddSingleton<AnswerProduction>();
        services.TryAddSingleton<IAnswers, AnswerService>();
        return new StreamingChatBuilder(services, configuration);
    }

    /// <summary>
    /// Registers StreamingChat's meters on their own: <see cref="StreamingChatMetrics"/> (the <c>StreamingChat</c> meter's
    /// instruments and the sliding windows behind the summary), <see cref="StreamingChatInstance"/> and a
    /// <see cref="TimeProvider"/>, with <see cref="MetricsOptions"/> bound from <c>StreamingChat:Metrics</c> of
    /// <paramref name="configuration"/> when given. <c>AddStreamingChatCore()</c> calls it; calling it again changes nothing.
    /// Export the instruments with OpenTelemetry's <c>AddMeter(StreamingChatTelemetry.Name)</c>.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configuration">Where <c>StreamingChat:Metrics</c> is read from; null keeps the defaults.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddStreamingChatMetrics(this IServiceCollection services, IConfiguration? configuration = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<MetricsOptions>();
        if (configuration is not null)
        {
            options.Bind(configuration.GetSection(MetricsOptions.SectionName));
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MetricsOptions>, MetricsOptionsValidator>());
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<StreamingChatMetrics>();
        services.TryAddSingleton<StreamingChatInstance>();
        return services;
    }
}
