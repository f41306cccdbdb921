using LayerLock.NodeAgent.Coordination;

namespace LayerLock.LoadDriver.Systems.LayerLock;

/// <summary>One node on the Akka.Remote link: its own <c>LockClient</c> actor and session, in the driver's shared ActorSystem.</summary>
internal sealed class LayerLockRemoteClient(string name, CoordinatorLink link, TimeSpan wait) : ILockClient
{
    private int _stopped;

    public string Name => name;

    public async Task<LockHandle> AcquireAsync(string key, CancellationToken cancellation)
    {
        try
        {
            var lease = await link.AcquireAsync(key, wait, progress: null, cancellation).ConfigureAwait(false);
            return new Held(lease);
        }
        catch (LockNotAcquiredException notAcquired)
        {
            throw new LockSystemException($"{LockSystems.LayerLockRemote}: {name} did not get {key}: {notAcquired.Reason} ({notAcquired.Message})", notAcquired);
        }
    }

    public async Task ReleaseAsync(LockHandle handle, CancellationToken cancellation)
    {
        var held = (Held)handle;
        try
        {
            await link.ReleaseAsync(held.Lease, success: true, error: null, cancellation).ConfigureAwait(false);
        }
        catch (LockRefusedException refused)
        {
            throw new LockSystemException($"{LockSystems.LayerLockRemote}: unlock of {held.Key} by {name} refused: {refused.Message}", refused);
        }
    }

    // The client's LockClient actor stops without an unlock; the Coordinator's session watches it and
    // hears Terminated through remote DeathWatch, and fails the locks over at once, as for a dead agent
    // (whose process exit it hears as DisassociatedEvent). The shared ActorSystem and its other clients go on.
    public ValueTask KillAsync() => DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            try
            {
                await link.DisposeAsync().ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Its actor did not stop within the link's bound; the ActorSystem's end takes it.
            }
        }
    }

    private sealed class Held(LockLease lease) : LockHandle(lease.Key)
    {
        public LockLease Lease { get; } = lease;
    }
}
