using System.Reflection;
using System.Text.Json.Nodes;
using dotnet_etcd;
using Etcdserverpb;
using Grpc.Core;

namespace LayerLock.LoadDriver.Systems.Etcd;

/// <summary>
/// etcd through dotnet-etcd, its .NET gRPC client. One client = one lease (etcd's "session"),
/// granted with the run's TTL and kept alive every TTL/3 by one <c>LeaseKeepAlive</c> request.
/// Acquire is the lock service's <c>Lock {name, lease}</c>, which blocks until the lock is ours and
/// answers the lock's own key; release is <c>Unlock {key}</c>. All clients share one
/// <see cref="EtcdClient"/> (one gRPC channel: HTTP/2, calls multiplexed on one connection), as the
/// clients of one process would.
/// </summary>
internal sealed class EtcdSystem : ILockSystem
{
    private static readonly string Library = $"dotnet-etcd {typeof(EtcdClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]}";

    private readonly Uri _endpoint;
    private readonly TimeSpan _ttl;
    private readonly EtcdClient _etcd;
    private long _grantedTtlMs;

    public EtcdSystem(Uri endpoint, TimeSpan ttl)
    {
        if (ttl < TimeSpan.FromSeconds(1) || ttl.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new ArgumentException($"etcd lease TTLs are whole seconds (at least 1s), got {ttl.TotalMilliseconds:0} ms");
        }

        _endpoint = endpoint;
        _ttl = ttl;
        _etcd = new EtcdClient(endpoint.GetLeftPart(UriPartial.Authority));
    }

    public string Name => "etcd";

    public string Protocol =>
        $"gRPC through {Library}, one channel (HTTP/2) shared by all clients; one lease per client (TTL {_ttl.TotalSeconds:0}s, one LeaseKeepAlive request every {(long)(_ttl / 3).TotalMilliseconds} ms); " +
        "Lock {name, lease} blocks until granted; Unlock {key}";

    public JsonObject Settings() => new()
    {
        ["endpoint"] = _endpoint.ToString(),
        ["client"] = Library,
        ["lease_ttl_ms"] = (long)_ttl.TotalMilliseconds,
        ["lease_keepalive_every_ms"] = (long)(_ttl / 3).TotalMilliseconds,
        ["lease_ttl_granted_ms"] = Interlocked.Read(ref _grantedTtlMs) is > 0 and var granted ? granted : null,
    };

    public async Task<ILockClient> ConnectAsync(string clientName, CancellationToken cancellation)
    {
        LeaseGrantResponse granted;
        try
        {
            granted = await _etcd.LeaseGrantAsync(new LeaseGrantRequest { TTL = (long)_ttl.TotalSeconds }, cancellationToken: cancellation).ConfigureAwait(false);
        }
        catch (RpcException error)
        {
            throw EtcdErrors.Of("LeaseGrant", _endpoint, error);
        }

        if (granted.ID == 0)
        {
            throw new LockSystemException($"etcd: LeaseGrant answered no lease id ({granted.Error})");
        }

        // etcd raises a TTL below its minimum (1.5 election timeouts, rounded up to whole seconds) and answers the TTL it granted.
        Interlocked.Exchange(ref _grantedTtlMs, granted.TTL * 1000);
        return new EtcdLockClient(clientName, _etcd, _endpoint, granted.ID, _ttl);
    }

    public ValueTask DisposeAsync()
    {
        _etcd.Dispose();
        return ValueTask.CompletedTask;
    }
}
