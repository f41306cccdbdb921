using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace LayerLock.Specs.Support;

/// <summary>
/// A WebSocket client written on a bare TCP socket that never answers pings: the peer of a
/// "silent" connection, alive for TCP but deaf, as behind a cut link that still holds the socket.
/// </summary>
internal sealed class SilentWebSocketPeer : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;

    private SilentWebSocketPeer(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    public static async Task<SilentWebSocketPeer> ConnectAsync(Uri server, string path)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var peer = new SilentWebSocketPeer(tcp);
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var request = $"GET {path} HTTP/1.1\r\nHost: {server.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                      $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n";
        await peer._stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        var head = await peer.ReadHeadAsync();
        if (!head.StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"the upgrade was refused: {head.Split('\r')[0]}");
        }

        return peer;
    }

    /// <summary>Sends one masked text frame, as a client must.</summary>
    public async Task SendTextAsync(string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        var frame = new List<byte> { 0x81 };
        if (payload.Length < 126)
        {
            frame.Add((byte)(0x80 | payload.Length));
        }
        else
        {
            frame.Add(0x80 | 126);
            frame.Add((byte)(payload.Length >> 8));
            frame.Add((byte)payload.Length);
        }

        var mask = RandomNumberGenerator.GetBytes(4);
        frame.AddRange(mask);
        frame.AddRange(payload.Select((b, i) => (byte)(b ^ mask[i % 4])));
        await _stream.WriteAsync(frame.ToArray());
    }

    /// <summary>Reads the next text frame from the server, skipping pings without answering them.</summary>
    public async Task<string> ReceiveTextAsync()
    {
        while (true)
        {
            var header = await ReadExactlyAsync(2);
            var opcode = header[0] & 0x0F;
            long length = header[1] & 0x7F;
            if (length == 126)
            {
                var extended = await ReadExactlyAsync(2);
                length = (extended[0] << 8) | extended[1];
            }
            else if (length == 127)
            {
                var extended = await ReadExactlyAsync(8);
                length = extended.Aggregate(0L, (value, b) => (value << 8) | b);
            }

            var payload = await ReadExactlyAsync((int)length);
            if (opcode == 0x1)
            {
                return Encoding.UTF8.GetString(payload);
            }

            if (opcode == 0x8)
            {
                throw new IOException("the server closed the session");
            }
        }
    }

    public void Dispose() => _tcp.Dispose();

    private async Task<byte[]> ReadExactlyAsync(int count)
    {
        var buffer = new byte[count];
        await _stream.ReadExactlyAsync(buffer);
        return buffer;
    }

    private async Task<string> ReadHeadAsync()
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            await _stream.ReadExactlyAsync(one);
            head.Append((char)one[0]);
        }

        return head.ToString();
    }
}
