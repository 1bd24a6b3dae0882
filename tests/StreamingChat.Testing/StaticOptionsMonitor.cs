using Microsoft.Extensions.Options;

namespace StreamingChat.Testing;

/// <summary>An <see cref="IOptionsMonitor{TOptions}"/> that always answers the same value.</summary>
public sealed class StaticOptionsMonitor<T>(T value) : IOptionsMonitor<T>
{
    /// <inheritdoc/>
    public T CurrentValue => value;

    /// <inheritdoc/>
    public T Get(string? name) => value;

    /// <inheritdoc/>
    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
