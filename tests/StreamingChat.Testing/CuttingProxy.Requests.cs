using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace StreamingChat.Testing;

/// <summary>The proxy's cuts by byte count: one request at a time per connection (HTTP/1.1, no pipelining).</summary>
public sealed partial class CuttingProxy
{
    private const string CutHeader = "x-cut-after:";
    private static readonly byte[] HeadersEnd = "\r\n\r\n"u8.ToArray();

    /// <summary>Responses cut after a byte count so far.</summary>
    public int Cuts => Volatile.Read(ref _cuts);

    private int _cuts;

    /// <summary>
    /// Relays the client's bytes, reading each request's headers before they go on (so the cut is armed before its
    /// response can arrive) and skipping its body by its <c>Content-Length</c>.
    /// </summary>
    private static async Task WatchRequestsAsync(NetworkStream from, NetworkStream to, RequestCut cut, CancellationTokenSource done)
    {
        var buffer = new byte[16 * 1024];
        var head = new List<byte>();
        long bodyLeft = 0;
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, done.Token);
                if (read == 0)
                {
                    return;
                }

                var offset = 0;
                while (offset < read)
                {
                    if (bodyLeft > 0)
                    {
                        var skip = (int)Math.Min(bodyLeft, read - offset);
                        bodyLeft -= skip;
                        offset += skip;
                        continue;
                    }

                    head.Add(buffer[offset++]);
                    if (head.Count >= 4 && head[^1] == '\n' && head[^2] == '\r' && head[^3] == '\n' && head[^4] == '\r')
                    {
                        bodyLeft = Arm(Encoding.ASCII.GetString([.. head]), cut);
                        head.Clear();
                    }
                }

                await to.WriteAsync(buffer.AsMemory(0, read), done.Token);
                await to.FlushAsync(done.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Arms the cut a request asks for; returns the length of its body.</summary>
    private static long Arm(string headers, RequestCut cut)
    {
        long? cutAfter = null;
        long contentLength = 0;
        var retry = false;
        foreach (var line in headers.Split("\r\n"))
        {
            if (line.StartsWith(CutHeader, StringComparison.OrdinalIgnoreCase))
            {
                cutAfter = long.Parse(line[CutHeader.Length..].Trim(), CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("content-length:", StringComparison.OrdinalIgnoreCase))
            {
                contentLength = long.Parse(line["content-length:".Length..].Trim(), CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("last-event-id:", StringComparison.OrdinalIgnoreCase))
            {
                retry = true;
            }
        }

        cut.Arm(retry ? null : cutAfter);
        return contentLength;
    }

    /// <summary>Relays the server's bytes; an armed response is cut after its body's first N bytes.</summary>
    private async Task CutResponsesAsync(NetworkStream from, NetworkStream to, RequestCut cut, CancellationTokenSource done)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, done.Token);
                if (read == 0)
                {
                    return;
                }

                var forward = cut.Take(buffer.AsSpan(0, read));
                await to.WriteAsync(buffer.AsMemory(0, forward), done.Token);
                await to.FlushAsync(done.Token);
                if (forward < read || cut.IsDue)
                {
                    Interlocked.Increment(ref _cuts);
                    return; // the caller closes both sockets
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>The cut armed on one connection: the body bytes still to let through, once the headers have passed.</summary>
    private sealed class RequestCut
    {
        private readonly Lock _lock = new();
        private long? _left;
        private int _headersMatched;
        private bool _inBody;

        public bool IsDue
        {
            get
            {
                lock (_lock)
                {
                    return _inBody && _left == 0;
                }
            }
        }

        public void Arm(long? bodyBytes)
        {
            lock (_lock)
            {
                _left = bodyBytes;
                _headersMatched = 0;
                _inBody = false;
            }
        }

        /// <summary>How many of <paramref name="bytes"/> go through before the cut (all of them when none is due).</summary>
        public int Take(ReadOnlySpan<byte> bytes)
        {
            lock (_lock)
            {
                if (_left is null)
                {
                    return bytes.Length;
                }

                for (var i = 0; i < bytes.Length; i++)
                {
                    if (!_inBody)
                    {
                        _headersMatched = bytes[i] == HeadersEnd[_headersMatched] ? _headersMatched + 1 : (bytes[i] == HeadersEnd[0] ? 1 : 0);
                        _inBody = _headersMatched == HeadersEnd.Length;
                        continue;
                    }

                    if (_left == 0)
                    {
                        return i;
                    }

                    _left--;
                }

                return bytes.Length;
            }
        }
    }
}
