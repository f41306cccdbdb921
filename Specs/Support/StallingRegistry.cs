using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LayerLock.Specs.Support;

/// <summary>
/// A "registry" on 127.0.0.1 that accepts connections and reads requests but never answers, so a
/// <c>ctr images pull</c> against it blocks until it is stopped. Disposing closes every connection.
/// </summary>
internal sealed class StallingRegistry : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<TcpClient> _connections = [];
    private readonly TaskCompletionSource<string> _firstRequest = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public StallingRegistry()
    {
        _listener.Start();
        _ = AcceptAsync();
    }

    /// <summary>host:port, as in an image reference.</summary>
    public string Host => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Completes with the request line of the first request (e.g. "HEAD /v2/…/manifests/v1 HTTP/1.1").</summary>
    public Task<string> FirstRequest => _firstRequest.Task;

    /// <summary>Writes <c>&lt;directory&gt;/&lt;host&gt;/hosts.toml</c> sending pulls for <see cref="Host"/> here over plain HTTP.</summary>
    public void WriteHostsToml(string directory)
    {
        var hostDirectory = Path.Combine(directory, Host);
        Directory.CreateDirectory(hostDirectory);
        File.WriteAllText(Path.Combine(hostDirectory, "hosts.toml"), $"""
            server = "http://{Host}"

            [host."http://{Host}"]
              capabilities = ["pull", "resolve"]

            """);
    }

    public void Dispose()
    {
        _listener.Stop();
        lock (_connections)
        {
            foreach (var connection in _connections)
            {
                connection.Dispose();
            }
        }
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var connection = await _listener.AcceptTcpClientAsync();
                lock (_connections)
                {
                    _connections.Add(connection);
                }

                _ = ReadRequestLineAsync(connection);
            }
        }
        catch (Exception stopped) when (stopped is SocketException or ObjectDisposedException)
        {
            // Disposed.
        }
    }

    private async Task ReadRequestLineAsync(TcpClient connection)
    {
        try
        {
            var stream = connection.GetStream();
            var received = new StringBuilder();
            var buffer = new byte[1024];
            int read;
            while (!received.ToString().Contains("\r\n", StringComparison.Ordinal) && (read = await stream.ReadAsync(buffer)) > 0)
            {
                received.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            var text = received.ToString();
            var end = text.IndexOf("\r\n", StringComparison.Ordinal);
            if (end > 0)
            {
                _firstRequest.TrySetResult(text[..end]);
            }
        }
        catch (Exception closed) when (closed is IOException or ObjectDisposedException or SocketException)
        {
            // The client went away or the registry was disposed.
        }
    }
}
