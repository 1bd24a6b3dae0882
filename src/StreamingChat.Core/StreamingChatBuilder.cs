using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace StreamingChat.Core;

/// <summary>
/// Configures StreamingChat: returned by <c>AddStreamingChat()</c> and extended by the other StreamingChat packages
/// (<c>AddMongoStores()</c>, <c>AddRedis()</c>, <c>AddStreamingRollout()</c>).
/// </summary>
public sealed class StreamingChatBuilder
{
    /// <summary>The service key of the <see cref="IChatClient"/> that answers questions, so an app's own chat clients stay its own.</summary>
    public const string ChatClientKey = "StreamingChat";

    /// <summary>Creates a builder over <paramref name="services"/>.</summary>
    public StreamingChatBuilder(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        Services = services;
        Configuration = configuration;
    }

    /// <summary>The application's services.</summary>
    public IServiceCollection Services { get; }

    /// <summary>The configuration StreamingChat's options are bound from.</summary>
    public IConfiguration Configuration { get; }

    /// <summary>
    /// Answers with the chat client <paramref name="factory"/> makes instead of the offline model.
    /// <paramref name="configure"/> adds middleware (for example <c>UseOpenTelemetry()</c>) around it.
    /// </summary>
    public StreamingChatBuilder AddChatClient(Func<IServiceProvider, IChatClient> factory, Action<ChatClientBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.RemoveAllKeyed<IChatClient>(ChatClientKey);
        var builder = Services.AddKeyedChatClient(ChatClientKey, factory);
        configure?.Invoke(builder);
        return this;
    }

    /// <summary>The service key of the <see cref="ITextToSpeechClient"/> that speaks answers.</summary>
    public const string SpeechClientKey = "StreamingChat.Speech";

    /// <summary>
    /// Speaks answers (for callers who send <c>enableTTS</c>) with the client <paramref name="factory"/> makes, instead of
    /// the embedded <c>espeak-ng</c>; a factory that returns null turns speech off.
    /// </summary>
    public StreamingChatBuilder AddSpeechClient(Func<IServiceProvider, ITextToSpeechClient?> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.RemoveAllKeyed<ITextToSpeechClient>(SpeechClientKey);
        Services.AddKeyedSingleton<ITextToSpeechClient>(SpeechClientKey, (sp, _) => factory(sp)!);
        return this;
    }

    /// <summary>Keeps chatbots in <typeparamref name="TStore"/> instead of in memory.</summary>
    public StreamingChatBuilder AddChatbotStore<TStore>()
        where TStore : class, IChatbotStore
    {
        Services.RemoveAll<IChatbotStore>();
        Services.AddSingleton<IChatbotStore, TStore>();
        return this;
    }

    /// <summary>Keeps conversations in <typeparamref name="TStore"/> instead of in memory.</summary>
    public StreamingChatBuilder AddConversationStore<TStore>()
        where TStore : class, IConversationStore
    {
        Services.RemoveAll<IConversationStore>();
        Services.AddSingleton<IConversationStore, TStore>();
        return this;
    }

    /// <summary>
    /// Keeps answers' event logs in <typeparamref name="TLog"/> instead of in memory (or in Redis with <c>AddRedis()</c>,
    /// which then leaves this one in place): one class of the application's own, an <see cref="IAnswerLog"/>, or an
    /// <see cref="ISharedAnswerLog"/> when every instance reads it. The conformance tests the memory and Redis logs pass
    /// (<c>AnswerLogConformanceTests</c> in the test suite) are the contract.
    /// </summary>
    public StreamingChatBuilder AddAnswerLog<TLog>()
        where TLog : class, IAnswerLog
    {
        Services.RemoveAll<IAnswerLog>();
        Services.AddSingleton<IAnswerLog, TLog>();
        Services.TryAddSingleton<ApplicationAnswerLog>();
        return this;
    }

    /// <summary>
    /// Adds a tool the model may call (Microsoft.Extensions.AI's function invocation runs it inside the answer, with the
    /// answer's cancellation and <c>StreamingChat:Chat:ToolTimeoutSeconds</c>). A chatbot uses it when its
    /// <see cref="ChatbotDefinition.Tools"/> names it. Wrap the function in an <see cref="ApprovalRequiredAIFunction"/> to have
    /// each call wait for a person's approval.
    /// </summary>
    /// <param name="tool">The function; its <see cref="AITool.Name"/> is what chatbots name.</param>
    public StreamingChatBuilder AddTool(AIFunction tool)
    {
        ArgumentNullException.ThrowIfNull(tool);
        Services.AddSingleton(new ChatToolRegistration(tool));
        return this;
    }

    /// <summary>
    /// Adds a source of tools besides <see cref="AddTool"/>: asked for each question, with its chatbot, for the tools that
    /// chatbot may use (the sample host's MCP source gives the tools of the MCP servers a chatbot names).
    /// </summary>
    public StreamingChatBuilder AddToolSource<TSource>()
        where TSource : class, IChatToolSource
    {
        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IChatToolSource, TSource>());
        return this;
    }

    /// <summary>Decides streaming per caller with <typeparamref name="TDecider"/> instead of streaming for everyone.</summary>
    public StreamingChatBuilder AddStreamingModeDecider<TDecider>()
        where TDecider : class, IStreamingModeDecider
    {
        Services.RemoveAll<IStreamingModeDecider>();
        Services.AddSingleton<IStreamingModeDecider, TDecider>();
        return this;
    }

    /// <summary>Adds a classifier for a provider's exceptions; classifiers are asked in the order they were added.</summary>
    public StreamingChatBuilder AddErrorClassifier(IChatErrorClassifier classifier)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        Services.AddSingleton(classifier);
        return this;
    }

    /// <summary>
    /// Uses Redis (one connection for the process) as the second cache level for chatbot definitions, and for the
    /// state every instance shares: answers' logs (any instance resumes, reads or stops any answer, and ends those whose
    /// instance died), the rollout percentage and the guard's service-wide window when <c>AddStreamingRollout()</c> is used. Adds the <c>redis</c> health check, <c>degraded</c> while Redis is away.
    /// <paramref name="connectionString"/> (a StackExchange.Redis string or a <c>redis://</c> URL) overrides
    /// <c>StreamingChat:Redis:ConnectionString</c>.
    /// </summary>
    public StreamingChatBuilder AddRedis(string? connectionString = null)
    {
        var options = Services.AddOptions<RedisOptions>().Bind(Configuration.GetSection(RedisOptions.SectionName));
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            options.Configure(o => o.ConnectionString = connectionString);
        }

        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisOptions>, RedisOptionsValidator>());
        options
            .Validate(o => !string.IsNullOrWhiteSpace(o.ConnectionString), "StreamingChat:Redis:ConnectionString is required with AddRedis().")
            .Validate(o => string.IsNullOrWhiteSpace(o.ConnectionString) || IsReadable(o.ConnectionString), "StreamingChat:Redis:ConnectionString cannot be read as a Redis configuration string or redis:// URL.")
            .ValidateOnStart();
        Services.TryAddSingleton<StreamingChatRedis>();

        // HybridCache takes the registered IDistributedCache as its second level; this one shares the process's connection.
        Services.AddStackExchangeRedisCache(_ => { });
        Services.AddOptions<RedisCacheOptions>().Configure<StreamingChatRedis>((cache, redis) =>
        {
            cache.InstanceName = redis.Options.KeyPrefix + "cache:";
            cache.ConnectionMultiplexerFactory = () => Task.FromResult(redis.Multiplexer);
        });
        Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", HealthStatus.Degraded, [StreamingChatHealthTags.Ready]);

        // Answers' logs in Redis, so any instance resumes or stops any answer; unless the application brought its own log.
        Services.TryAddSingleton<RedisAnswerLog>();
        if (!Services.Any(d => d.ServiceType == typeof(ApplicationAnswerLog)))
        {
            Services.Replace(ServiceDescriptor.Singleton<IAnswerLog>(sp => sp.GetRequiredService<IOptions<AnswerOptions>>().Value.Shared
                ? sp.GetRequiredService<RedisAnswerLog>()
                : ActivatorUtilities.CreateInstance<InMemoryAnswerLog>(sp)));
        }

        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RedisAnswerLogService>());

        // Turns kept while the store is away are copied to Redis, so another instance writes them if this one dies.
        Services.TryAddSingleton<ITurnOutboxCopy, RedisTurnOutboxCopy>();

        // Each approval is decided once service-wide, whichever instance is asked first.
        Services.Replace(ServiceDescriptor.Singleton<IToolApprovals, RedisToolApprovals>());
        return this;
    }

    /// <summary>Marks that the application chose its answer log (<see cref="AddAnswerLog{TLog}"/>): <c>AddRedis()</c> leaves it in place.</summary>
    private sealed class ApplicationAnswerLog;


    private static bool IsReadable(string connectionString)
    {
        try
        {
            StackExchange.Redis.ConfigurationOptions.Parse(RedisConnectionString.Normalize(connectionString));
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            return false;
        }
    }
}
