using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using V3Lockpb;

namespace LayerLock.LoadDriver.Systems.Etcd;

/// <summary>One etcd lease and the locks taken under it, through the system's shared dotnet-etcd client.</summary>
internal sealed class EtcdLockClient : ILockClient
{
    private readonly EtcdClient _etcd;
    private readonly Uri _endpoint;
    private readonly long _lease;
    private readonly CancellationTokenSource _stopped = new();
    private readonly RenewalLoop _keepAlive;

    public EtcdLockClient(string name, EtcdClient etcd, Uri endpoint, long lease, TimeSpan ttl)
    {
        Name = name;
        _etcd = etcd;
        _endpoint = endpoint;
        _lease = lease;
        _keepAlive = RenewalLoop.Start(ttl / 3, KeepLeaseAliveAsync, _stopped.Token);
    }

    public string Name { get; }

    public async Task<LockHandle> AcquireAsync(string key, CancellationToken cancellation)
    {
        try
        {
            var locked = await _etcd.LockAsync(new LockRequest { Name = ByteString.CopyFromUtf8(key), Lease = _lease }, cancellationToken: cancellation)
                .ConfigureAwait(false);
            return locked.Key.IsEmpty ? throw new LockSystemException("etcd: Lock answered no key") : new Held(key, locked.Key);
        }
        catch (RpcException error)
        {
            throw EtcdErrors.Of("Lock", _endpoint, error);
        }
    }

    public async Task ReleaseAsync(LockHandle handle, CancellationToken cancellation)
    {
        try
        {
            await _etcd.UnlockAsync(new UnlockRequest { Key = ((Held)handle).LockKey }, cancellationToken: cancellation).ConfigureAwait(false);
        }
        catch (RpcException error)
        {
            throw EtcdErrors.Of("Unlock", _endpoint, error);
        }
    }

    // The lease is no longer kept alive; etcd deletes its lock keys when its TTL runs out.
    public async ValueTask KillAsync()
    {
        if (!_stopped.IsCancellationRequested)
        {
            _keepAlive.Stop();
            await _stopped.CancelAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopped.IsCancellationRequested)
        {
            return;
        }

        await KillAsync().ConfigureAwait(false);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _etcd.LeaseRevokeAsync(new LeaseRevokeRequest { ID = _lease }, cancellationToken: timeout.Token).ConfigureAwait(false);
        }
        catch (Exception error) when (error is RpcException or OperationCanceledException)
        {
            // Best effort: the lease expires on its own.
        }
    }

    // One keep-alive per renewal: dotnet-etcd opens a LeaseKeepAlive stream, sends the one request,
    // reads its answer and closes the stream. A TTL of 0 means the lease is gone.
    private async Task<bool> KeepLeaseAliveAsync(CancellationToken cancellation)
    {
        long ttl = 0;
        try
        {
            await _etcd.LeaseKeepAlive(new LeaseKeepAliveRequest { ID = _lease }, answer => ttl = answer.TTL, cancellation).ConfigureAwait(false);
        }
        catch (RpcException error)
        {
            throw EtcdErrors.Of("LeaseKeepAlive", _endpoint, error);
        }

        return ttl > 0;
    }

    private sealed class Held(string key, ByteString lockKey) : LockHandle(key)
    {
        public ByteString LockKey { get; } = lockKey;
    }
}
