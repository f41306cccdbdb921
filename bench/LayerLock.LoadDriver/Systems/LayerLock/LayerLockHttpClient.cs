using System.Net;
using System.Text;
using System.Text.Json;
using LayerLock.Messages.Http;

namespace LayerLock.LoadDriver.Systems.LayerLock;

internal sealed class LayerLockHttpClient(string node, HttpClient http, TimeSpan wait, TimeSpan ttl, bool releaseOnDisconnect = false) : ILockClient
{
    private readonly CancellationTokenSource _killed = new();

    public string Name => node;

    public async Task<LockHandle> AcquireAsync(string key, CancellationToken cancellation)
    {
        var body = new LockBody(key, node, (long)wait.TotalMilliseconds, (long)ttl.TotalMilliseconds, ReleaseOnDisconnect: releaseOnDisconnect ? true : null);
        using var response = await PostAsync("/lock", PooledHttp.JsonBody(body, HttpJsonContext.Default.LockBody), cancellation).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellation).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new LockSystemException($"layerlock-http: POST /lock {key} as {node}: HTTP {(int)response.StatusCode} {Text(bytes)}");
        }

        var acquired = JsonSerializer.Deserialize(bytes, HttpJsonContext.Default.LockAcquiredBody);
        if (acquired is not { Acquired: true })
        {
            throw new LockSystemException($"layerlock-http: {node} did not get {key}: {Text(bytes)}");
        }

        var token = acquired.Token;
        var renewal = RenewalLoop.Start(ttl / 3, c => KeepAliveAsync(key, token, c), _killed.Token);
        return new Held(key, token, renewal);
    }

    public async Task ReleaseAsync(LockHandle handle, CancellationToken cancellation)
    {
        var held = (Held)handle;
        held.Renewal.Stop();
        var body = new UnlockBody(held.Key, node, held.Token, Success: true, Error: null);
        using var response = await PostAsync("/unlock", PooledHttp.JsonBody(body, HttpJsonContext.Default.UnlockBody), cancellation).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var text = await response.Content.ReadAsStringAsync(cancellation).ConfigureAwait(false);
            throw new LockSystemException($"layerlock-http: POST /unlock {held.Key} token {held.Token} as {node}: HTTP {(int)response.StatusCode} {text}");
        }

        // Drain the answer so the connection goes back to the pool.
        await response.Content.LoadIntoBufferAsync(cancellation).ConfigureAwait(false);
    }

    // An HTTP holder has no connection of its own: it is dead to the Coordinator once its TTL runs
    // out without a keep-alive.
    public ValueTask KillAsync() => DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (!_killed.IsCancellationRequested)
        {
            await _killed.CancelAsync().ConfigureAwait(false);
        }
    }

    private async Task<bool> KeepAliveAsync(string key, long token, CancellationToken cancellation)
    {
        var body = new KeepAliveBody(key, node, token);
        using var response = await PostAsync("/keepalive", PooledHttp.JsonBody(body, HttpJsonContext.Default.KeepAliveBody), cancellation).ConfigureAwait(false);
        await response.Content.LoadIntoBufferAsync(cancellation).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.OK;
    }

    private async Task<HttpResponseMessage> PostAsync(string path, HttpContent content, CancellationToken cancellation)
    {
        try
        {
            return await http.PostAsync(path, content, cancellation).ConfigureAwait(false);
        }
        catch (HttpRequestException error)
        {
            throw new LockSystemException($"layerlock-http: POST {path} to {http.BaseAddress}: {error.Message}", error);
        }
    }

    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    private sealed class Held(string key, long token, RenewalLoop renewal) : LockHandle(key)
    {
        public long Token { get; } = token;

        public RenewalLoop Renewal { get; } = renewal;
    }
}
