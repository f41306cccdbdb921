using System.Text.Json.Nodes;

namespace LayerLock.LoadDriver.Systems.Etcd;

/// <summary>
/// etcd 3.4 through its v3 HTTP/JSON gateway. One client = one lease (etcd's "session"), granted
/// with the run's TTL and kept alive every TTL/3 by one <c>POST /v3/lease/keepalive</c>. Acquire is
/// <c>POST /v3/lock/lock {name, lease}</c>, which blocks until the lock is ours and answers the
/// lock's own key; release is <c>POST /v3/lock/unlock {key}</c>. All clients share one pooled
/// <see cref="HttpClient"/>.
/// </summary>
internal sealed class EtcdSystem : ILockSystem
{
    private readonly Uri _endpoint;
    private readonly TimeSpan _ttl;
    private readonly HttpClient _http;
    private long _grantedTtlMs;

    public EtcdSystem(Uri endpoint, TimeSpan ttl)
    {
        if (ttl < TimeSpan.FromSeconds(1) || ttl.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new ArgumentException($"etcd lease TTLs are whole seconds (at least 1s), got {ttl.TotalMilliseconds:0} ms");
        }

        _endpoint = endpoint;
        _ttl = ttl;
        _http = PooledHttp.Create(endpoint);
    }

    public string Name => "etcd";

    public string Protocol =>
        $"v3 JSON gateway over a shared HTTP/1.1 keep-alive pool; one lease per client (TTL {_ttl.TotalSeconds:0}s, POST /v3/lease/keepalive every {(long)(_ttl / 3).TotalMilliseconds} ms); " +
        "POST /v3/lock/lock {name, lease} blocks until granted; POST /v3/lock/unlock {key}";

    public JsonObject Settings() => new()
    {
        ["endpoint"] = _endpoint.ToString(),
        ["lease_ttl_ms"] = (long)_ttl.TotalMilliseconds,
        ["lease_keepalive_every_ms"] = (long)(_ttl / 3).TotalMilliseconds,
        ["lease_ttl_granted_ms"] = Interlocked.Read(ref _grantedTtlMs) is > 0 and var granted ? granted : null,
    };

    public async Task<ILockClient> ConnectAsync(string clientName, CancellationToken cancellation)
    {
        var gateway = new EtcdGateway(_http);
        var (lease, granted) = await gateway.GrantLeaseAsync(_ttl, cancellation).ConfigureAwait(false);
        Interlocked.Exchange(ref _grantedTtlMs, (long)granted.TotalMilliseconds);
        return new EtcdClient(clientName, gateway, lease, _ttl);
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
