using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace StreamingChat.Core;

/// <summary>
/// A language model that needs no network: the embedded default. Its answers are deterministic and depend on the
/// question, and it streams them at a settable pace (by default near a hosted model's: the first token after
/// ~150 ms, then one every ~20 ms), reporting usage like a real provider. Given tools, it reasons briefly and calls
/// <c>get_time</c> for a question with the word "time" and <c>open_ticket</c> for one with "ticket", then answers with the
/// result (citing a source for the time), so every part of a rich answer can be seen with nothing configured.
/// </summary>
public sealed class OfflineChatClient : IChatClient
{
    private static readonly string[] Sentences =
    [
        "Streaming lets the first words reach you while the rest are still being written.",
        "Each token is sent as a server-sent event the moment it is ready.",
        "Nothing on the way buffers the answer, so the page can show it as it grows.",
        "The conversation is kept, so a follow-up question is answered in context.",
        "A rollout decides who gets streamed answers, and a kill switch turns them off at once.",
        "Health checks and metrics tell the operator how the service is doing.",
        "When the service restarts, live answers are allowed to finish first.",
        "This answer comes from the offline model, which needs no network and no account.",
        "Set an API key to have a hosted model answer instead.",
        "Short answers are easier to read on a small screen.",
        "Every answer ends with exactly one done or error event.",
        "If you leave early, what was sent so far is kept and marked interrupted.",
    ];

    private readonly OfflineModelOptions _options;
    private readonly TimeProvider _time;
    private readonly ChatClientMetadata _metadata = new("streamingchat-offline", defaultModelId: OfflineModelOptions.ModelId);

    /// <summary>Creates the offline model.</summary>
    public OfflineChatClient(IOptions<OfflineModelOptions> options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc/>
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        => await GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var prompt = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var question = prompt.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
        var toolResult = prompt.Count > 0 && prompt[^1].Role == ChatRole.Tool ? prompt[^1].Contents.OfType<FunctionResultContent>().FirstOrDefault() : null;
        if (toolResult is null && OfflineTools.Pick(question, options?.Tools) is { } call)
        {
            // A question for a tool: reason briefly, then ask for it; the answer comes in the next round, with its result.
            await Task.Delay(TimeSpan.FromMilliseconds(_options.FirstTokenDelayMs), _time, cancellationToken).ConfigureAwait(false);
            foreach (var update in OfflineTools.Updates(call.Reasoning, call.Call, prompt, options?.ModelId ?? OfflineModelOptions.ModelId))
            {
                yield return update;
            }

            yield break;
        }

        var answer = Compose(question, _options.Sentences);
        var citation = toolResult is null ? null : OfflineTools.Cite(toolResult, prompt);
        if (toolResult is not null)
        {
            answer = OfflineTools.Answer(toolResult, prompt) + " " + answer;
        }

        var tokens = Tokenize(answer);
        var limit = options?.MaxOutputTokens is { } max ? Math.Min(max, tokens.Count) : tokens.Count;
        var responseId = "offline-" + Guid.CreateVersion7().ToString("N");
        var model = options?.ModelId ?? OfflineModelOptions.ModelId;

        await Task.Delay(TimeSpan.FromMilliseconds(_options.FirstTokenDelayMs), _time, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < limit; i++)
        {
            if (i > 0 && _options.TokenIntervalMs > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(_options.TokenIntervalMs), _time, cancellationToken).ConfigureAwait(false);
            }

            cancellationToken.ThrowIfCancellationRequested();
            var token = new TextContent(tokens[i]);
            if (i == 0 && citation is not null)
            {
                token.Annotations = [citation];
            }

            yield return new ChatResponseUpdate(ChatRole.Assistant, [token]) { ResponseId = responseId, ModelId = model };
        }

        var inputTokens = prompt.Sum(m => (long)EstimateTokens(m.Text));
        yield return new ChatResponseUpdate
        {
            Role = ChatRole.Assistant,
            ResponseId = responseId,
            ModelId = model,
            FinishReason = limit < tokens.Count ? ChatFinishReason.Length : ChatFinishReason.Stop,
            Contents = [new UsageContent(new UsageDetails { InputTokenCount = inputTokens, OutputTokenCount = limit, TotalTokenCount = inputTokens + limit })],
        };
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(ChatClientMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
    }

    /// <summary>Builds the answer: an echo of the question, then sentences picked by a stable hash of it.</summary>
    internal static string Compose(string question, int sentences)
    {
        var trimmed = question.Trim();
        if (trimmed.Length > 80)
        {
            trimmed = trimmed[..77] + "...";
        }

        var hash = StableHash(question);
        var parts = new List<string>(sentences + 1) { $"You asked: \"{trimmed}\"." };
        for (var i = 0; i < sentences; i++)
        {
            parts.Add(Sentences[(int)((hash + (ulong)i * 7) % (ulong)Sentences.Length)]);
        }

        return string.Join(' ', parts);
    }

    /// <summary>Splits text into model-like tokens of at most five characters, each word with its leading space.</summary>
    internal static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var start = 0;
        while (start < text.Length)
        {
            var end = start;
            while (end < text.Length && text[end] == ' ')
            {
                end++;
            }

            while (end < text.Length && text[end] != ' ' && end - start < 5)
            {
                end++;
            }

            tokens.Add(text[start..end]);
            start = end;
        }

        return tokens;
    }

    internal static int EstimateTokens(string text) => (text.Length + 3) / 4;

    /// <summary>FNV-1a over the UTF-16 code units: the same on every run and every machine, unlike <see cref="string.GetHashCode()"/>.</summary>
    internal static ulong StableHash(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }
}
