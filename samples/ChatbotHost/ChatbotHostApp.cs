using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics.Metrics;
using ChatbotHost.Tools;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenAI;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Scalar.AspNetCore;
using StreamingChat.Core;

namespace ChatbotHost;

/// <summary>Composes the StreamingChat packages into the deployable service.</summary>
public static class ChatbotHostApp
{
    /// <summary>Where the host listens when nothing else is configured.</summary>
    public const string DefaultUrl = "http://localhost:5000";

    /// <summary>Creates the host's builder with every service registered.</summary>
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        // The content root (appsettings.json, wwwroot) is the app's own folder, not the directory it was started from, so
        // `dotnet /opt/streamingchat/ChatbotHost.dll migrate` run from anywhere reads the same settings as the service.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = args.Any(a => a.StartsWith("--contentRoot", StringComparison.OrdinalIgnoreCase)) ? null : AppContext.BaseDirectory,
        });
        var configuration = builder.Configuration;
        if (string.IsNullOrEmpty(configuration["urls"]) && string.IsNullOrEmpty(configuration["http_ports"])
            && string.IsNullOrEmpty(configuration["https_ports"]) && !configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        AddServices(builder.Services, configuration);
        return builder;
    }

    /// <summary>Builds the host, ready to run.</summary>
    public static WebApplication Build(string[] args)
    {
        var app = CreateBuilder(args).Build();

        // Behind a proxy: the caller's address (rate limits, logs) comes from X-Forwarded-For, believed from the proxies
        // StreamingChat:ForwardedHeaders names (loopback when it names none: nginx on the same machine).
        app.UseStreamingChatForwardedHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();

        // Sign-in after the forwarded headers, so the caller's address (limits, the admin key's failed attempts) is the client's.
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapStreamingChat();
        app.MapStreamingRollout();
        app.MapStreamingChatConsole("/");
        app.MapStreamingChatConsole("/console");
        app.MapPrometheusScrapingEndpoint("/metrics").ProtectOperatorReads();

        // The HTTP contract as OpenAPI, generated from the endpoints' metadata; in Development, a page to read and try it.
        app.MapOpenApi().ProtectOperatorReads();
        if (app.Environment.IsDevelopment())
        {
            app.MapScalarApiReference("/api-reference", options => options.WithTitle("StreamingChat API"));
        }

        return app;
    }

    /// <summary>Registers the service's parts, chosen by configuration: the model provider, and in time the stores.</summary>
    public static void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "StreamingChat";
            document.Info.Description = "Questions in, answers out as Server-Sent Events; sessions, answers that outlive their connection, the front-end protocols, metrics, health and the streaming rollout.";
            document.Info.Version = typeof(ChatbotHostApp).Assembly.GetName().Version?.ToString(3) ?? "1.0.0";
            return Task.CompletedTask;
        }));
        services.AddOptions<ModelOptions>()
            .Bind(configuration.GetSection(ModelOptions.SectionName))
            .PostConfigure(options =>
            {
                if (string.IsNullOrEmpty(options.OpenAI.ApiKey))
                {
                    options.OpenAI.ApiKey = configuration["OPENAI_API_KEY"];
                }
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ModelOptions>, ModelOptionsValidator>();

        // Sign-in: JWT bearer tokens as configured under Authentication:Schemes:Bearer (issuer, audiences, signing keys: the
        // layout `dotnet user-jwts` writes). Signed-in callers own their sessions; see StreamingChat:Sessions.
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();

        // Every instance must read every instance's session keys: one application name for the Data Protection key ring
        // (kept in Redis with AddRedis(), below), whatever folder each instance runs from.
        var dataProtection = services.AddDataProtection().SetApplicationName("StreamingChat");

        // The key ring at rest: with a certificate (a PKCS#12 file, the same on every instance), keys kept in Redis are
        // encrypted with it; without one they are kept as they are, and Data Protection says so once at start-up.
        if (configuration["StreamingChat:DataProtection:CertificatePath"] is { Length: > 0 } certificatePath)
        {
            var certificate = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(
                certificatePath, configuration["StreamingChat:DataProtection:CertificatePassword"]);
            dataProtection.ProtectKeysWithCertificate(certificate).UnprotectKeysWithAnyCertificate(certificate);
        }

        var chat = services.AddStreamingChat(configuration)
            .AddStreamingRollout()
            .AddDemoTools();

        // MongoDB and Redis when configured; in-memory stores and state otherwise.
        if (MongoConnectionString(configuration) is { } mongo)
        {
            chat.AddMongoStores(mongo);
        }

        if (RedisConnectionString(configuration) is { } redis)
        {
            chat.AddRedis(redis);
        }

        AddModel(configuration, chat);
        AddSpeech(services, configuration, chat);
        AddTelemetry(services, configuration);
    }

    /// <summary>The model: the provider <c>StreamingChat:Model</c> names, with the model call's telemetry around it.</summary>
    private static void AddModel(IConfiguration configuration, StreamingChatBuilder chat)
    {
        var model = new ModelOptions();
        configuration.GetSection(ModelOptions.SectionName).Bind(model);
        model.OpenAI.ApiKey ??= configuration["OPENAI_API_KEY"];
        // Standard gen_ai.client.* metrics and spans for the model call, without prompts or answers unless
        // StreamingChat:Telemetry:RecordContent says so. Set here either way, so the GenAI conventions' environment variable
        // (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT) cannot switch content on behind the operator's back.
        var recordContent = configuration.GetValue<bool>("StreamingChat:Telemetry:RecordContent");
        // With spans exported, Microsoft.Extensions.AI's UseOpenTelemetry() records the model call's spans and metrics; without,
        // the same metrics are recorded by Core's ModelCallMetricsChatClient, which keeps nothing of the answer (it says why).
        Action<ChatClientBuilder>? Instrument = !model.InstrumentModelCalls ? null
            : TracesExported(configuration)
                ? builder => builder.UseOpenTelemetry(sourceName: StreamingChatTelemetry.ModelCallSourceName, configure: telemetry => telemetry.EnableSensitiveData = recordContent)
                : builder => builder.UseModelCallMetrics();
        // The provider's IChatClient: one class per provider under ModelProviders/ (an unknown name fails validation at start).
        ModelProvider.Effective(model)?.AddTo(chat, model, configuration, Instrument);
        chat.Services.AddHealthChecks().AddCheck<ModelHealthCheck>("model");
    }

    /// <summary>
    /// The service that speaks answers: espeak-ng on this machine unless <c>StreamingChat:Speech:Provider</c> names OpenAI
    /// (the model's key and endpoint) or Google (an API key), or None.
    /// </summary>
    private static void AddSpeech(IServiceCollection services, IConfiguration configuration, StreamingChatBuilder chat)
    {
        services.AddOptions<SpeechProviderOptions>()
            .Bind(configuration.GetSection(SpeechProviderOptions.SectionName))
            .PostConfigure(options => options.Google.ApiKey ??= configuration["GOOGLE_API_KEY"])
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<SpeechProviderOptions>, SpeechProviderOptionsValidator>();
        var provider = configuration[$"{SpeechProviderOptions.SectionName}:Provider"] ?? SpeechProviderOptions.EmbeddedProvider;
        switch (provider)
        {
            case SpeechProviderOptions.OpenAIProvider:
                services.TryAddSingleton(OpenAIModelProvider.CreateOpenAIClient);
                chat.AddSpeechClient(sp =>
                {
                    var speech = sp.GetRequiredService<IOptions<SpeechProviderOptions>>().Value.OpenAI;
                    return new DefaultVoice(sp.GetRequiredService<OpenAIClient>().GetAudioClient(speech.Model).AsITextToSpeechClient(), speech.Voice);
                });
                break;
            case SpeechProviderOptions.GoogleProvider:
                services.AddHttpClient<GoogleTextToSpeechClient>((sp, http) => http.Timeout = Timeout.InfiniteTimeSpan)
                    .AddStandardResilienceHandler(options =>
                    {
                        var google = configuration.GetSection($"{SpeechProviderOptions.SectionName}:Google").Get<GoogleSpeechOptions>() ?? new GoogleSpeechOptions();
                        options.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(google.TimeoutSeconds);
                        options.AttemptTimeout.Timeout = TimeSpan.FromSeconds(Math.Min(google.TimeoutSeconds, 10));
                        options.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(Math.Max(20, 2 * options.AttemptTimeout.Timeout.TotalSeconds));
                        options.Retry.MaxRetryAttempts = 2;
                        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
                    });
                chat.AddSpeechClient(sp => sp.GetRequiredService<GoogleTextToSpeechClient>());
                break;
            case SpeechProviderOptions.NoProvider:
                chat.AddSpeechClient(_ => null);
                break;
        }
    }

    /// <summary>MongoDB's connection string: <c>StreamingChat:Mongo:ConnectionString</c>, else <c>ConnectionStrings:Mongo</c>, else <c>MONGODB_URI</c>.</summary>
    public static string? MongoConnectionString(IConfiguration configuration)
        => FirstSet(configuration["StreamingChat:Mongo:ConnectionString"], configuration.GetConnectionString("Mongo"), configuration["MONGODB_URI"]);

    /// <summary>Redis's connection string: <c>StreamingChat:Redis:ConnectionString</c>, else <c>ConnectionStrings:Redis</c>, else <c>REDIS_URL</c>.</summary>
    public static string? RedisConnectionString(IConfiguration configuration)
        => FirstSet(configuration["StreamingChat:Redis:ConnectionString"], configuration.GetConnectionString("Redis"), configuration["REDIS_URL"]);

    private static string? FirstSet(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));

    /// <summary>
    /// Exports StreamingChat's meters and the model call's for Prometheus (<c>GET /metrics</c>), and sends metrics and
    /// traces over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
    /// </summary>
    private static void AddTelemetry(IServiceCollection services, IConfiguration configuration)
    {
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(configuration["OTEL_SERVICE_NAME"] ?? "chatbot-host"))
            .WithMetrics(metrics => metrics
                .AddMeter(StreamingChatTelemetry.Name, StreamingChatTelemetry.ModelCallSourceName)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter()
                .AddView(instrument => DropPerTokenMetric(instrument, configuration)));

        // Spans are recorded only when something receives them: with no exporter, every open stream would still hold
        // its request's and its model call's activities for nothing (benchmarks/README.md measures it).
        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (TracesExported(configuration))
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource(StreamingChatTelemetry.Name, StreamingChatTelemetry.ModelCallSourceName)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation());
        }

        if (otlp)
        {
            telemetry.UseOtlpExporter();
        }
    }

    /// <summary>Whether spans are recorded: with an OTLP endpoint, or <c>StreamingChat:Telemetry:Traces</c>.</summary>
    private static bool TracesExported(IConfiguration configuration)
        => !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]) || configuration.GetValue<bool>("StreamingChat:Telemetry:Traces");

    /// <summary>
    /// Drops <c>gen_ai.client.operation.time_per_output_chunk</c> unless <c>StreamingChat:Telemetry:PerTokenMetrics</c> is
    /// true: it is the one instrument recorded once per token (a histogram update with its tags for every relayed
    /// token, measured in benchmarks/README.md), while time to first chunk, duration and token usage are per call.
    /// </summary>
    private static MetricStreamConfiguration? DropPerTokenMetric(Instrument instrument, IConfiguration configuration)
        => instrument.Name == StreamingChatTelemetry.ModelCall.TimePerOutputChunk && !configuration.GetValue<bool>("StreamingChat:Telemetry:PerTokenMetrics")
            ? MetricStreamConfiguration.Drop
            : null;
}
