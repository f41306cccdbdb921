namespace LayerLock.LoadDriver.Systems;

/// <summary>
/// One user of a lock service: one session (LayerLock's Akka.Remote link), one lease (etcd), one TCP
/// connection (Redis), one node name (LayerLock HTTP). Holds whatever per-client state a real user
/// of that system would hold (tokens, lease ids, renewal timers).
/// </summary>
public interface ILockClient : IAsyncDisposable
{
    string Name { get; }

    /// <summary>Blocks until this client holds the lock on <paramref name="key"/>.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired; the request was withdrawn.</exception>
    /// <exception cref="LockSystemException">The system answered without the lock, or could not be reached.</exception>
    Task<LockHandle> AcquireAsync(string key, CancellationToken cancellation);

    /// <summary>Releases a lock taken by <see cref="AcquireAsync"/>; returns once the system confirmed it.</summary>
    /// <exception cref="LockSystemException">The system refused the release (the lock was no longer ours).</exception>
    Task ReleaseAsync(LockHandle handle, CancellationToken cancellation);

    /// <summary>
    /// Stops this client as a crashed process would: its connections are dropped and its renewals
    /// stop, and nothing is released. Locks it holds end however the system ends a dead holder's
    /// lock (session end, lease or TTL expiry). The client is unusable afterwards; disposing it
    /// after a kill is allowed and does nothing more.
    /// </summary>
    ValueTask KillAsync();
}
