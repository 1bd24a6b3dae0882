using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OpenAI;
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
        var builder = WebApplication.CreateBuilder(args);
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
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.MapStreamingChat();
        return app;
    }

    /// <summary>Registers the service's parts, chosen by configuration: the model provider, and in time the stores.</summary>
    public static void AddServices(IServiceCollection services, IConfiguration configuration)
    {
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

        var chat = services.AddStreamingChat(configuration)
            .AddErrorClassifier(new OpenAIErrorClassifier());

        var model = new ModelOptions();
        configuration.GetSection(ModelOptions.SectionName).Bind(model);
        model.OpenAI.ApiKey ??= configuration["OPENAI_API_KEY"];
        if (model.EffectiveProvider == ModelOptions.OpenAIProvider)
        {
            chat.AddChatClient(CreateOpenAIChatClient);
        }
    }

    private static IChatClient CreateOpenAIChatClient(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<ModelOptions>>().Value.OpenAI;
        var clientOptions = new OpenAIClientOptions
        {
            // The client's own retry policy resends a 429 or 5xx, honouring Retry-After, and only before the
            // response starts: exactly "before the first token", since a streamed answer is one response.
            RetryPolicy = new ClientRetryPolicy(options.MaxRetries),
            NetworkTimeout = TimeSpan.FromSeconds(options.NetworkTimeoutSeconds),
        };
        if (!string.IsNullOrWhiteSpace(options.Endpoint))
        {
            clientOptions.Endpoint = new Uri(options.Endpoint);
        }

        var client = new OpenAIClient(new ApiKeyCredential(options.ApiKey!), clientOptions);
        return client.GetChatClient(options.Model).AsIChatClient();
    }
}
