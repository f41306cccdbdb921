using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Xunit;

namespace LayerLock.Specs.Http;

/// <summary>What the live page's specs do over HTTP: lock cycles, and a page that never reads.</summary>
internal static class DashboardHttp
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Takes <paramref name="key"/> for <paramref name="node"/> (waiting up to 10 s); its fencing token.</summary>
    public static async Task<long> LockAsync(HttpClient http, string key, string node)
    {
        using var response = await http.PostAsJsonAsync("/lock", new { key, node, wait_ms = 10_000 });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(body.GetProperty("acquired").GetBoolean(), body.ToString());
        return body.GetProperty("token").GetInt64();
    }

    /// <summary>Releases with success.</summary>
    public static async Task UnlockAsync(HttpClient http, string key, string node, long token)
    {
        using var response = await http.PostAsJsonAsync("/unlock", new { key, node, token, success = true });
        response.EnsureSuccessStatusCode();
    }

    /// <summary>
    /// A page that opened <c>GET /events</c> and reads nothing after: a raw socket, with a kernel
    /// receive buffer of <paramref name="receiveBuffer"/> bytes (null = the kernel's default).
    /// </summary>
    public static async Task<Socket> OpenUnreadPageAsync(Uri coordinator, int? receiveBuffer = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (receiveBuffer is { } size)
        {
            socket.ReceiveBufferSize = size;
        }

        await socket.ConnectAsync(coordinator.Host, coordinator.Port);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET /events HTTP/1.1\r\nHost: {coordinator.Authority}\r\n\r\n"));
        return socket;
    }
}

/// <summary>A reader of <c>GET /events</c>: one Server-Sent Events frame at a time.</summary>
internal sealed class DashboardEventStream : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private DashboardEventStream(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public static async Task<DashboardEventStream> OpenAsync(HttpClient http)
    {
        var response = await http.GetAsync("/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/event-stream", response.Content.Headers.ContentType?.ToString());
        return new DashboardEventStream(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    /// <summary>Reads on until the Coordinator ends the stream (its end, or the connection closed); false if it is still open after the patience.</summary>
    public async Task<bool> EndsAsync()
    {
        var deadline = DateTime.UtcNow + Patience;
        try
        {
            while (await NextAsync() is not null)
            {
                if (DateTime.UtcNow > deadline)
                {
                    return false; // still sending frames
                }
            }

            return true;
        }
        catch (IOException)
        {
            return true; // closed mid-frame (HttpIOException is one)
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The next frame with an event name; null at the end of the stream.</summary>
    public async Task<ServerSentEvent?> NextAsync()
    {
        string? name = null;
        var data = new StringBuilder();
        using var timeout = new CancellationTokenSource(Patience);
        while (await _reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.Length == 0)
            {
                if (name is not null)
                {
                    return new ServerSentEvent(name, data.ToString());
                }

                continue;
            }

            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Append(line["data: ".Length..]);
            }
        }

        return null;
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>One Server-Sent Events frame: its <c>event:</c> name and its <c>data:</c>.</summary>
internal sealed record ServerSentEvent(string Event, string Data);
