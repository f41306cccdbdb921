using System.Text.Json.Nodes;

namespace LayerLock.LoadDriver.Systems.LayerLock;

/// <summary>
/// LayerLock through its HTTP API: <c>POST /lock</c> with a long <c>wait_ms</c> (the request blocks
/// until granted), <c>POST /unlock</c> with the token, and <c>POST /keepalive</c> every TTL/3 while
/// a lock is held. All clients share one pooled <see cref="HttpClient"/> (keep-alive
/// connections); each client is one node name.
/// </summary>
internal sealed class LayerLockHttpSystem : ILockSystem
{
    private readonly Uri _coordinator;
    private readonly TimeSpan _wait;
    private readonly TimeSpan _ttl;
    private readonly bool _releaseOnDisconnect;
    private readonly HttpClient _http;

    public LayerLockHttpSystem(Uri coordinator, TimeSpan wait, TimeSpan ttl, bool releaseOnDisconnect = false)
    {
        _coordinator = coordinator;
        _wait = wait;
        _ttl = ttl;
        _releaseOnDisconnect = releaseOnDisconnect;
        _http = PooledHttp.Create(coordinator);
    }

    public string Name => "layerlock-http";

    public string Protocol =>
        $"HTTP/1.1 keep-alive pool shared by all clients; POST /lock wait_ms={(long)_wait.TotalMilliseconds} ttl_ms={(long)_ttl.TotalMilliseconds} " +
        $"(blocks until granted){(_releaseOnDisconnect ? " release_on_disconnect=true" : "")}, POST /keepalive every {(long)(_ttl / 3).TotalMilliseconds} ms while held, POST /unlock with the token";

    public JsonObject Settings() => new()
    {
        ["endpoint"] = _coordinator.ToString(),
        ["wait_ms"] = (long)_wait.TotalMilliseconds,
        ["ttl_ms"] = (long)_ttl.TotalMilliseconds,
        ["renew_every_ms"] = (long)(_ttl / 3).TotalMilliseconds,
        ["release_on_disconnect"] = _releaseOnDisconnect,
    };

    public Task<ILockClient> ConnectAsync(string clientName, CancellationToken cancellation) =>
        Task.FromResult<ILockClient>(new LayerLockHttpClient(clientName, _http, _wait, _ttl, _releaseOnDisconnect));

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
