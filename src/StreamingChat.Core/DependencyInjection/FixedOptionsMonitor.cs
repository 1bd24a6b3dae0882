using Microsoft.Extensions.Options;

namespace StreamingChat.Core;

/// <summary>Options that never change, for parts built by hand rather than by dependency injection.</summary>
internal sealed class FixedOptionsMonitor<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;

    public T Get(string? name) => value;

    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
