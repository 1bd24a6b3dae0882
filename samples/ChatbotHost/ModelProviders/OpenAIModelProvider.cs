using System.ClientModel;
using System.ClientModel.Primitives;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenAI;
using StreamingChat.Core;

namespace ChatbotHost;

/// <summary>
/// Any OpenAI-compatible API (OpenAI, or a local Ollama, vLLM or LM Studio), from <c>StreamingChat:Model:OpenAI</c>;
/// chosen by itself when a key is set. Streamed answers are read by Core's <see cref="OpenAICompatibleChatClient"/> (its
/// remarks say why) unless <c>StreamingClient</c> is <c>Sdk</c>; every other call goes to the OpenAI SDK's client.
/// </summary>
internal sealed class OpenAIModelProvider : ModelProvider
{
    /// <inheritdoc/>
    public override string Name => ModelOptions.OpenAIProvider;

    /// <inheritdoc/>
    public override bool ChosenWhenUnnamed(ModelOptions options) => !string.IsNullOrEmpty(options.OpenAI.ApiKey);

    /// <inheritdoc/>
    public override IEnumerable<string> Validate(ModelOptions options, IConfiguration configuration, bool chosen)
    {
        var openAI = options.OpenAI;
        if (chosen && string.IsNullOrWhiteSpace(openAI.ApiKey))
        {
            yield return "StreamingChat:Model:OpenAI:ApiKey (or OPENAI_API_KEY) is required when the provider is OpenAI.";
        }

        if (!string.IsNullOrWhiteSpace(openAI.Endpoint)
            && !(Uri.TryCreate(openAI.Endpoint, UriKind.Absolute, out var endpoint) && endpoint.Scheme is "http" or "https"))
        {
            yield return "StreamingChat:Model:OpenAI:Endpoint must be an absolute http or https URL.";
        }

        if (!openAI.UsesDirectStreamingClient && !string.Equals(openAI.StreamingClient, OpenAIModelOptions.SdkStreamingClient, StringComparison.OrdinalIgnoreCase))
        {
            yield return "StreamingChat:Model:OpenAI:StreamingClient must be 'Direct' or 'Sdk'.";
        }

        if (string.IsNullOrWhiteSpace(openAI.Model))
        {
            yield return "StreamingChat:Model:OpenAI:Model must not be empty.";
        }

        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(openAI, new ValidationContext(openAI), results, validateAllProperties: true))
        {
            foreach (var result in results)
            {
                yield return $"StreamingChat:Model:OpenAI:{string.Join(",", result.MemberNames)}: {result.ErrorMessage}";
            }
        }
    }

    /// <inheritdoc/>
    public override void AddTo(StreamingChatBuilder chat, ModelOptions options, IConfiguration configuration, Action<ChatClientBuilder>? instrument)
    {
        chat.Services.TryAddSingleton(CreateOpenAIClient);
        chat.AddErrorClassifier(new OpenAIErrorClassifier());
        if (options.OpenAI.UsesDirectStreamingClient)
        {
            chat.AddOpenAICompatibleChatClient(DirectClientOptions, CreateSdkClient, instrument);
        }
        else
        {
            chat.AddChatClient(CreateSdkClient, instrument);
        }
    }

    /// <summary>Lists the models (free, and it proves the key); a refusal or no answer is <c>degraded</c>.</summary>
    public override async Task<HealthCheckResult> CheckHealthAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await services.GetRequiredService<OpenAIClient>().GetOpenAIModelClient().GetModelsAsync(timeout.Token).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"The model provider answers (model {services.GetRequiredService<IOptions<ModelOptions>>().Value.OpenAI.Model}).");
        }
        catch (ClientResultException ex)
        {
            return HealthCheckResult.Degraded($"The model provider refused the check (HTTP {ex.Status}).");
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            return HealthCheckResult.Degraded("The model provider could not be reached.");
        }
    }

    /// <inheritdoc/>
    public override IEnumerable<string> Describe(ModelOptions options)
    {
        var openAI = options.OpenAI;
        yield return $"endpoint: {(string.IsNullOrWhiteSpace(openAI.Endpoint) ? "OpenAI" : Cli.ChatbotHostCli.RedactUserInfo(openAI.Endpoint))}";
        yield return $"model: {openAI.Model}; API key: {(string.IsNullOrEmpty(openAI.ApiKey) ? "not set" : "set")}";
    }

    /// <summary>
    /// The OpenAI SDK's client for <c>StreamingChat:Model:OpenAI</c> (also the speech provider's when it is OpenAI): its own
    /// retry policy resends a 429 or 5xx, honouring <c>Retry-After</c>, and only before the response starts, which for a
    /// streamed answer is before the first token.
    /// </summary>
    public static OpenAIClient CreateOpenAIClient(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<ModelOptions>>().Value.OpenAI;
        var clientOptions = new OpenAIClientOptions
        {
            RetryPolicy = new UpstreamRetryPolicy(options.MaxRetries, services.GetRequiredService<ILoggerFactory>().CreateLogger("ChatbotHost.Upstream")),
            NetworkTimeout = TimeSpan.FromSeconds(options.NetworkTimeoutSeconds),
        };
        clientOptions.AddPolicy(new CompactRequestBodyPolicy(), PipelinePosition.PerCall);
        if (!string.IsNullOrWhiteSpace(options.Endpoint))
        {
            clientOptions.Endpoint = new Uri(options.Endpoint);
        }

        return new OpenAIClient(new ApiKeyCredential(options.ApiKey!), clientOptions);
    }

    /// <summary>
    /// The OpenAI SDK's chat client for the configured model: the whole model with <c>StreamingClient=Sdk</c>, and with
    /// <c>Direct</c> the client of every call the direct client does not stream itself (tools, images, answers not streamed).
    /// </summary>
    private static IChatClient CreateSdkClient(IServiceProvider services)
        => services.GetRequiredService<OpenAIClient>().GetChatClient(services.GetRequiredService<IOptions<ModelOptions>>().Value.OpenAI.Model).AsIChatClient();

    /// <summary>The direct client's settings, from <c>StreamingChat:Model:OpenAI</c> (validated with the rest at start-up).</summary>
    private static OpenAICompatibleOptions DirectClientOptions(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<ModelOptions>>().Value.OpenAI;
        return new OpenAICompatibleOptions
        {
            Endpoint = options.Endpoint,
            ApiKey = options.ApiKey,
            Model = options.Model,
            MaxRetries = options.MaxRetries,
            NetworkTimeoutSeconds = options.NetworkTimeoutSeconds,
        };
    }

}
