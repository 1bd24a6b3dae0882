using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace StreamingChat.Core;

/// <summary>
/// The process's one Redis connection (StackExchange.Redis multiplexes every command and subscription over it), shared by
/// the cache, the rollout state and the guard. It is created without waiting for Redis: when Redis is away at start or
/// later, commands fail at once, callers fall back to what they hold in memory, and the connection comes back by itself.
/// </summary>
public sealed class StreamingChatRedis : IDisposable
{
    private readonly Lazy<ConnectionMultiplexer> _multiplexer;
    private readonly ILogger<StreamingChatRedis> _logger;

    /// <summary>Creates the connection from <paramref name="options"/>; it connects on first use.</summary>
    public StreamingChatRedis(IOptions<RedisOptions> options, ILogger<StreamingChatRedis> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        Options = options.Value;
        _logger = logger;
        var configuration = Options.ToConfigurationOptions();
        _multiplexer = new Lazy<ConnectionMultiplexer>(() => Connect(configuration), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The options the connection was made with.</summary>
    public RedisOptions Options { get; }

    /// <summary>The shared multiplexer.</summary>
    public IConnectionMultiplexer Multiplexer => _multiplexer.Value;

    /// <summary>The default database.</summary>
    public IDatabase Database => Multiplexer.GetDatabase();

    /// <summary>Whether a command can be sent now.</summary>
    public bool IsConnected => Multiplexer.IsConnected;

    /// <summary>A key under this service's prefix.</summary>
    public RedisKey Key(string name) => Options.KeyPrefix + name;

    /// <summary>
    /// The lease an instance holds while it runs (renewed by the shared answer log): an instance whose lease is gone is
    /// dead for the answers it produced and the turns it kept.
    /// </summary>
    internal RedisKey LeaseKey(string instanceId) => Key("{leases}:" + instanceId);

    /// <summary>A channel under this service's prefix.</summary>
    public RedisChannel Channel(string name) => RedisChannel.Literal(Options.KeyPrefix + name);

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_multiplexer.IsValueCreated)
        {
            _multiplexer.Value.Dispose();
        }
    }

    private ConnectionMultiplexer Connect(ConfigurationOptions configuration)
    {
        var multiplexer = ConnectionMultiplexer.Connect(configuration);
        multiplexer.ConnectionFailed += (_, e) => Log.RedisConnectionLost(_logger, e.EndPoint?.ToString() ?? "?", e.FailureType.ToString(), e.Exception);
        multiplexer.ConnectionRestored += (_, e) => Log.RedisConnectionRestored(_logger, e.EndPoint?.ToString() ?? "?");
        if (!multiplexer.IsConnected)
        {
            Log.RedisUnavailableAtStart(_logger);
        }

        return multiplexer;
    }
}
