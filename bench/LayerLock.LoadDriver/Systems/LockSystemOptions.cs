namespace LayerLock.LoadDriver.Systems;

/// <summary>What a run asks of the adapter; each adapter uses the parts its protocol has.</summary>
/// <param name="Endpoint">A URL (<c>http://127.0.0.1:18090</c>) or <c>host:port</c>.</param>
/// <param name="Ttl">Lease / lock TTL for the systems that have one (etcd lease, Redis PX, LayerLock HTTP ttl_ms); renewed every TTL/3.</param>
/// <param name="RetryInterval">Redis only: the pause between a waiter's <c>SET NX</c> attempts.</param>
/// <param name="Wait">How long one acquire may wait before the system gives up (LayerLock wait_ms; Redis polling stops).</param>
public sealed record LockSystemOptions(string Endpoint, TimeSpan Ttl, TimeSpan RetryInterval, TimeSpan Wait)
{
    /// <summary>LayerLock HTTP only: send <c>release_on_disconnect: true</c>, so a lock also ends when the connection that took it closes.</summary>
    public bool ReleaseOnDisconnect { get; init; }
}
