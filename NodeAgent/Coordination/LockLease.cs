namespace LayerLock.NodeAgent.Coordination;

/// <summary>
/// A lock this agent holds. <see cref="Lost"/> is cancelled if the Coordinator takes it away
/// (lease expired, or its claim was refused after a reconnect): stop the work done under it.
/// </summary>
public sealed class LockLease
{
    private readonly CancellationTokenSource _lost = new();

    internal LockLease(string key, long token)
    {
        Key = key;
        Token = token;
    }

    public string Key { get; }

    /// <summary>The fencing token of this grant; 0 for a peer grant.</summary>
    public long Token { get; }

    /// <summary>
    /// Set for a peer grant (issue 12): no lock was taken; fetch the layer from this node instead of
    /// the registry, then report with <see cref="CoordinatorLink.FinishPeerFetch"/>.
    /// </summary>
    public PeerSource? Source { get; init; }

    public CancellationToken Lost => _lost.Token;

    /// <summary>Why the lease was lost, once it was.</summary>
    public string? LostReason { get; private set; }

    internal void MarkLost(string reason)
    {
        LostReason ??= reason;
        _lost.Cancel();
    }
}

/// <summary>A node that has a layer, and the base URL of its peer endpoint (<c>http://HOST:PORT</c>).</summary>
public sealed record PeerSource(string Node, string Url);

/// <summary>Progress of a lock request while it waits.</summary>
public sealed record LockQueuedProgress(string Key, int Position, string? Holder);

/// <summary>The Coordinator answered a lock request without the lock (busy, timeout, cancelled, …).</summary>
public sealed class LockNotAcquiredException(string key, string reason, string? holder, string message) : Exception(message)
{
    public string Key { get; } = key;

    public string Reason { get; } = reason;

    public string? Holder { get; } = holder;
}

/// <summary>The Coordinator refused an unlock (not the holder, stale token).</summary>
public sealed class LockRefusedException(string key, string message) : Exception(message)
{
    public string Key { get; } = key;
}
