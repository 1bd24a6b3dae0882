using System.Net;
using System.Net.Sockets;

namespace StreamingChat.Testing;

/// <summary>Loopback ports for the servers tests start.</summary>
public static class TestPorts
{
    /// <summary>A port free on 127.0.0.1 right now.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until something accepts connections on <paramref name="port"/>.</summary>
    public static async Task WaitUntilListeningAsync(int port, TimeSpan timeout, Func<bool>? gaveUp = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && gaveUp?.Invoke() != true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new TimeoutException($"Nothing listens on 127.0.0.1:{port}.");
    }

    /// <summary>The repository's root folder (the one holding <c>StreamingChat.sln</c>).</summary>
    public static string RepositoryRoot
    {
        get
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "StreamingChat.sln")))
            {
                root = root.Parent;
            }

            return root?.FullName ?? throw new InvalidOperationException("StreamingChat.sln was not found above " + AppContext.BaseDirectory);
        }
    }
}
