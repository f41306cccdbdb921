using System.Net.Sockets;

namespace LayerLock.LoadDriver.Systems.Redis;

/// <summary>One TCP connection to Redis; one command at a time (request, then its reply).</summary>
internal sealed class RedisConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly RespProtocol _resp;
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    private RedisConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _resp = new RespProtocol(_stream);
    }

    /// <exception cref="LockSystemException">Redis cannot be reached.</exception>
    public static async Task<RedisConnection> OpenAsync(string host, int port, CancellationToken cancellation)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, cancellation).ConfigureAwait(false);
        }
        catch (SocketException error)
        {
            socket.Dispose();
            throw new LockSystemException($"redis: cannot reach {host}:{port}: {error.Message}; is redis-server running?", error);
        }

        return new RedisConnection(socket);
    }

    /// <summary>
    /// Sends one command and reads its reply. <paramref name="cancellation"/> is honoured only while
    /// waiting for the connection, never between request and reply (that would desynchronize the
    /// stream); closing the connection ends a call in flight.
    /// </summary>
    /// <exception cref="LockSystemException">The connection failed; it is closed.</exception>
    public async Task<RespValue> CallAsync(string[] command, CancellationToken cancellation)
    {
        await _oneAtATime.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            await _resp.WriteCommandAsync(command, CancellationToken.None).ConfigureAwait(false);
            return await _resp.ReadReplyAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception error) when (error is IOException or SocketException or ObjectDisposedException or InvalidDataException)
        {
            _socket.Dispose();
            throw new LockSystemException($"redis: {command[0]} failed: {error.Message}", error);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    /// <summary>Closes the connection at once (a call in flight fails).</summary>
    public void Abort() => _socket.Dispose();

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
    }
}
