using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.FeatureManagement.AspNetCore;
using StreamingChat.AspNetCore;
using StreamingChat.Core;
using StreamingChat.Mongo;
using StreamingChat.Rollout;

var builder = WebApplication.CreateBuilder(args);

// The packages' two lines, with the team's own model client; MongoDB and Redis when configured.
var chat = builder.Services.AddStreamingChat(builder.Configuration)
    .AddChatClient(_ => new EchoChatClient());
if (builder.Configuration.GetConnectionString("Mongo") is { Length: > 0 } mongo)
{
    chat.AddMongoStores(mongo);
}

chat.AddStreamingRollout();

var app = builder.Build();
app.MapStreamingChat();
app.MapStreamingRollout();

// The team's own endpoints on the building blocks: its own events relayed as StreamingChat relays an answer, an answer
// of its own making, and an endpoint behind the streaming rollout.
app.MapGet("/countdown", (int? from) => StreamingChatResults.ServerSentEvents(Countdown(from ?? 3), "count"));
app.MapPost("/ask", async (HttpRequest request, IAnswers answers, IChatbotStore chatbots) =>
{
    var (body, problem) = await StreamingChatRequests.ReadJsonObjectAsync(request, maxBytes: 8192);
    if (problem is not null)
    {
        return problem;
    }

    var question = body!.Value.TryGetProperty("question", out var q) ? q.GetString() : null;
    if (string.IsNullOrWhiteSpace(question))
    {
        return StreamingChatResults.ValidationProblem(new Dictionary<string, string[]> { ["question"] = ["Ask something."] });
    }

    // Admitted here without limits: the team's endpoint decides who may ask; the answer owns its admission.
    return await chatbots.GetAsync("demo") is { Enabled: true } chatbot
        ? StreamingChatResults.Answer(await answers.StartAsync(new AnswerAdmission(new ChatQuery(question, chatbot.Id, Guid.NewGuid().ToString("n")), chatbot)))
        : StreamingChatResults.Problem(StatusCodes.Status404NotFound, "chatbot_not_found", "The chatbot was not found.");
});
app.MapGet("/beta", () => "streaming is on for you").WithFeatureGate(RolloutOptions.StreamingFeature);
app.MapGet("/mongo-section", () => MongoStoreOptions.SectionName);

app.Run();

static async IAsyncEnumerable<Count> Countdown(int from, [EnumeratorCancellation] CancellationToken cancellationToken = default)
{
    for (var n = from; n >= 0; n--)
    {
        await Task.Delay(100, cancellationToken);
        yield return new Count(n, n == 0 ? "lift-off" : "counting");
    }
}

/// <summary>One event of the countdown.</summary>
internal sealed record Count(int N, string State);

/// <summary>The team's model client: says the question back, a word at a time.</summary>
internal sealed class EchoChatClient : IChatClient
{
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var question = messages.Last(m => m.Role == ChatRole.User).Text;
        foreach (var word in $"You asked: {question}".Split(' '))
        {
            await Task.Delay(20, cancellationToken);
            yield return new ChatResponseUpdate(ChatRole.Assistant, word + " ");
        }

        yield return new ChatResponseUpdate { FinishReason = ChatFinishReason.Stop };
    }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        => throw new NotSupportedException("StreamingChat streams every answer.");

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
