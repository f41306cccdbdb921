using System.Text;

namespace LayerLock.LoadDriver.Systems.Etcd;

/// <summary>One etcd lease and the locks taken under it.</summary>
internal sealed class EtcdClient : ILockClient
{
    private readonly EtcdGateway _gateway;
    private readonly long _lease;
    private readonly CancellationTokenSource _stopped = new();
    private readonly RenewalLoop _keepAlive;

    public EtcdClient(string name, EtcdGateway gateway, long lease, TimeSpan ttl)
    {
        Name = name;
        _gateway = gateway;
        _lease = lease;
        _keepAlive = RenewalLoop.Start(ttl / 3, c => gateway.KeepLeaseAliveAsync(lease, c), _stopped.Token);
    }

    public string Name { get; }

    public async Task<LockHandle> AcquireAsync(string key, CancellationToken cancellation)
    {
        var lockKey = await _gateway.LockAsync(Encoding.UTF8.GetBytes(key), _lease, cancellation).ConfigureAwait(false);
        return new Held(key, lockKey);
    }

    public Task ReleaseAsync(LockHandle handle, CancellationToken cancellation) => _gateway.UnlockAsync(((Held)handle).LockKey, cancellation);

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
            await _gateway.RevokeLeaseAsync(_lease, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception error) when (error is LockSystemException or OperationCanceledException)
        {
            // Best effort: the lease expires on its own.
        }
    }

    private sealed class Held(string key, byte[] lockKey) : LockHandle(key)
    {
        public byte[] LockKey { get; } = lockKey;
    }
}
