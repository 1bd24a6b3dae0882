using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace StreamingChat.Core;

/// <summary>
/// Puts <see cref="HybridCache"/> in front of a chatbot store, so a question does not read the database for its chatbot
/// each time: memory first, then the distributed cache when one is registered (Redis with <c>AddRedis()</c>), then the
/// store. An unknown id is cached too, so a flood of made-up ids does not reach the database. A change made through
/// <see cref="UpsertAsync"/> drops the cached copy here and in the shared level at once; other instances see it when their
/// memory copy expires (<see cref="ChatbotCacheOptions.ChatbotLocalSeconds"/>).
/// </summary>
public sealed class CachedChatbotStore : IChatbotStore
{
    private readonly IChatbotStore _inner;
    private readonly HybridCache _cache;
    private readonly HybridCacheEntryOptions _entryOptions;
    private readonly ILogger<CachedChatbotStore> _logger;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    public CachedChatbotStore(IChatbotStore inner, HybridCache cache, IOptions<ChatbotCacheOptions> options, ILogger<CachedChatbotStore> logger)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _inner = inner;
        _cache = cache;
        _logger = logger;
        _entryOptions = new HybridCacheEntryOptions
        {
            LocalCacheExpiration = TimeSpan.FromSeconds(options.Value.ChatbotLocalSeconds),
            Expiration = TimeSpan.FromSeconds(Math.Max(options.Value.ChatbotSharedSeconds, options.Value.ChatbotLocalSeconds)),
        };
    }

    /// <summary>The cache key of a chatbot.</summary>
    public static string CacheKey(string chatbotId) => "chatbot:" + chatbotId;

    /// <inheritdoc/>
    public async Task<ChatbotDefinition?> GetAsync(string chatbotId, CancellationToken cancellationToken = default)
    {
        try
        {
            var entry = await _cache.GetOrCreateAsync(
                CacheKey(chatbotId),
                (_inner, chatbotId),
                static async (state, ct) => new CachedChatbot(await state._inner.GetAsync(state.chatbotId, ct).ConfigureAwait(false)),
                _entryOptions,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            return entry.Chatbot;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The store's own failure reaches the caller as it is; only the cache's is worked around.
            Log.ChatbotCacheFailed(_logger, chatbotId, ex);
            return await _inner.GetAsync(chatbotId, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<ChatbotDefinition>> ListAsync(CancellationToken cancellationToken = default) => _inner.ListAsync(cancellationToken);

    /// <inheritdoc/>
    public async Task UpsertAsync(ChatbotDefinition chatbot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chatbot);
        await _inner.UpsertAsync(chatbot, cancellationToken).ConfigureAwait(false);
        await InvalidateAsync(chatbot.Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Drops the cached copy of a chatbot here and in the shared level.</summary>
    public async Task InvalidateAsync(string chatbotId, CancellationToken cancellationToken = default)
    {
        try
        {
            await _cache.RemoveAsync(CacheKey(chatbotId), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.ChatbotCacheFailed(_logger, chatbotId, ex);
        }
    }

    /// <summary>What is cached: a chatbot, or the fact that there is none.</summary>
    internal sealed record CachedChatbot(ChatbotDefinition? Chatbot);
}
