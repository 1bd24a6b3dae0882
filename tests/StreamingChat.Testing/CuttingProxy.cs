using System.Net;
using System.Net.Sockets;
using System.Text;

namespace StreamingChat.Testing;

/// <summary>
/// A TCP proxy on 127.0.0.1 that cuts connections mid-answer, as a phone switching networks or a proxy dropping a
/// connection would: either once, the first time the bytes from the server contain <c>cutAfter</c> (both sides are closed
/// after those bytes went through), or (<see cref="StartCuttingRequests"/>) every request that asks for it with an
/// <c>X-Cut-After: N</c> header and carries no <c>Last-Event-ID</c>: its response is cut after exactly N bytes of its body.
/// Every other connection, and every retry, is relayed whole.
/// </summary>
public sealed partial class CuttingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri _target;
    private readonly byte[]? _cutAfter;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _connections = [];
    private int _cut;
    private int _accepted;

    private CuttingProxy(Uri target, string? cutAfter)
    {
        _target = target;
        _cutAfter = cutAfter is null ? null : Encoding.UTF8.GetBytes(cutAfter);
        _listener.Start();
        Address = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
        _ = AcceptAsync();
    }

    /// <summary>Where clients connect.</summary>
    public Uri Address { get; }

    /// <summary>Whether a connection has been cut.</summary>
    public bool HasCut => Volatile.Read(ref _cut) == 1;

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _accepted);

    /// <summary>Starts a proxy to <paramref name="target"/> that cuts the first connection whose server bytes contain <paramref name="cutAfter"/>.</summary>
    public static CuttingProxy Start(Uri target, string cutAfter) => new(target, cutAfter);

    /// <summary>
    /// Starts a proxy to <paramref name="target"/> that cuts the response of every request carrying <c>X-Cut-After: N</c>
    /// (and no <c>Last-Event-ID</c>) after exactly N bytes of its body, as they come off the wire (chunk sizes included).
    /// </summary>
    public static CuttingProxy StartCuttingRequests(Uri target) => new(target, cutAfter: null);

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            lock (_connections)
            {
                _connections.Add(RelayAsync(client));
            }
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(_target.Host, _target.Port, _stopping.Token);
                using var done = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                Task up, down;
                if (_cutAfter is null)
                {
                    var cut = new RequestCut();
                    up = WatchRequestsAsync(client.GetStream(), server.GetStream(), cut, done);
                    down = CutResponsesAsync(server.GetStream(), client.GetStream(), cut, done);
                }
                else
                {
                    up = PumpAsync(client.GetStream(), server.GetStream(), watch: false, done);
                    down = PumpAsync(server.GetStream(), client.GetStream(), watch: true, done);
                }

                await Task.WhenAny(up, down);
                await done.CancelAsync();
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException)
            {
            }
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool watch, CancellationTokenSource done)
    {
        var buffer = new byte[16 * 1024];
        var seen = new List<byte>();
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, done.Token);
                if (read == 0)
                {
                    return;
                }

                await to.WriteAsync(buffer.AsMemory(0, read), done.Token);
                await to.FlushAsync(done.Token);
                if (watch && Volatile.Read(ref _cut) == 0)
                {
                    seen.AddRange(buffer.AsSpan(0, read));
                    if (seen.ToArray().AsSpan().IndexOf(_cutAfter!) >= 0 && Interlocked.Exchange(ref _cut, 1) == 0)
                    {
                        return; // the caller closes both sockets
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        _stopping.Dispose();
    }
}
