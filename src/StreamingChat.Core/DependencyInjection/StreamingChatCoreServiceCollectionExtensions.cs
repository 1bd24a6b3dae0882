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
    /// Adds the chat pipeline with its embedded defaults (in-memory stores seeded from <c>StreamingChat:Chatbots</c>,
    /// the offline model, streaming for everyone) and binds and validates its options at start-up. Web apps call
    /// <c>AddStreamingChat()</c> instead, which calls this.
    /// </summary>
    public static StreamingChatBuilder AddStreamingChatCore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<ChatStreamOptions>().Bind(configuration.GetSection(ChatStreamOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<OfflineModelOptions>().Bind(configuration.GetSection(OfflineModelOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ChatbotSeedOptions>().Bind(configuration.GetSection(ChatbotSeedOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ChatbotSeedOptions>, ChatbotSeedOptionsValidator>());
        services.AddOptions<OutboxOptions>().Bind(configuration.GetSection(OutboxOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<TurnOutbox>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, TurnOutboxFlusher>());
        services.AddHealthChecks().AddCheck<TurnOutboxHealthCheck>("store-outbox", HealthStatus.Degraded, [StreamingChatBuilder.ReadyTag]);
        services.AddOptions<AnswerOptions>().Bind(configuration.GetSection(AnswerOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<MetricsOptions>().Bind(configuration.GetSection(MetricsOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();


        services.AddOptions<ChatbotCacheOptions>().Bind(configuration.GetSection(ChatbotCacheOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddHybridCache();
        services.AddHealthChecks();

        services.AddMetrics();
        services.TryAddSingleton<StreamingChatMetrics>();
        services.TryAddSingleton<StreamingChatInstance>();

        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<SpeechOptions>().Bind(configuration.GetSection(SpeechOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EmbeddedSpeechOptions>().Bind(configuration.GetSection(EmbeddedSpeechOptions.SectionName));
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
        services.TryAddSingleton(sp => new ChatPipeline(
            sp.GetRequiredKeyedService<IChatClient>(StreamingChatBuilder.ChatClientKey),
            sp.GetRequiredService<IChatbotStore>(),
            sp.GetRequiredService<IConversationStore>(),
            sp.GetRequiredService<IOptionsMonitor<ChatStreamOptions>>(),
            sp.GetServices<IChatErrorClassifier>(),
            sp.GetRequiredService<StreamingChatMetrics>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ChatPipeline>>(),
            sp.GetRequiredService<SpeechSynthesis>(),
            sp.GetRequiredService<IAnswerLog>(),
            sp.GetRequiredService<TurnOutbox>()));
        return new StreamingChatBuilder(services, configuration);
    }
}
