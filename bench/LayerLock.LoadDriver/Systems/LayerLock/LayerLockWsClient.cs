using LayerLock.NodeAgent.Coordination;

namespace LayerLock.LoadDriver.Systems.LayerLock;

internal sealed class LayerLockWsClient(string name, CoordinatorLink client, TimeSpan wait) : ILockClient
{
    private int _stopped;

    public string Name => name;

    public async Task<LockHandle> AcquireAsync(string key, CancellationToken cancellation)
    {
        try
        {
            var lease = await client.AcquireAsync(key, wait, progress: null, cancellation).ConfigureAwait(false);
            return new Held(lease);
        }
        catch (LockNotAcquiredException notAcquired)
        {
            throw new LockSystemException($"layerlock-ws: {name} did not get {key}: {notAcquired.Reason} ({notAcquired.Message})", notAcquired);
        }
    }

    public async Task ReleaseAsync(LockHandle handle, CancellationToken cancellation)
    {
        var held = (Held)handle;
        try
        {
            await client.ReleaseAsync(held.Lease, success: true, error: null, cancellation).ConfigureAwait(false);
        }
        catch (LockRefusedException refused)
        {
            throw new LockSystemException($"layerlock-ws: unlock of {held.Key} by {name} refused: {refused.Message}", refused);
        }
    }

    // The session's socket closes without an unlock; the Coordinator fails the locks over at once,
    // as it does when an agent process dies.
    public ValueTask KillAsync() => DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }
    }

    private sealed class Held(LockLease lease) : LockHandle(lease.Key)
    {
        public LockLease Lease { get; } = lease;
    }
}
