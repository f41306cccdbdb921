namespace LayerLock.Messages.Locks;

/// <summary>A message the LockManager routes to the lock actor of <see cref="Key"/>.</summary>
public interface ILockMessage
{
    string Key { get; }
}

/// <summary>
/// Asks for the lock on <paramref name="Key"/> for <paramref name="Node"/>. The sender is the
/// owner: the lock actor watches it, and its <c>Terminated</c> releases the lock on the fail path.
/// Replies: <see cref="LockGranted"/>, <see cref="LockQueued"/> (then later one of the others),
/// or <see cref="LockNotAcquired"/>.
/// </summary>
/// <param name="RequestId">Chosen by the requester; echoed in every reply.</param>
/// <param name="Wait">How long to wait in the queue; zero = try once, never queue.</param>
/// <param name="Ttl">Lease of the grant; without a <see cref="KeepLockAlive"/> it expires on the
/// fail path. Null = no lease (the owner's liveness is the lease).</param>
/// <param name="Registry">The upstream registry (host[:port]) the holder will fetch from, when it
/// fetches a layer: while that registry has asked to be left alone (<see cref="ReleaseLock.RetryAfter"/>),
/// the request waits instead of being granted. Null = not tied to a registry (HTTP clients, scripts).</param>
/// <param name="ExcludeSources">Nodes whose peer transfer of this layer already failed for the requester:
/// not named in a <see cref="PeerGranted"/> again. Null = none.</param>
public sealed record AcquireLock(string Key, string Node, long RequestId, TimeSpan Wait, TimeSpan? Ttl = null, string? Registry = null, IReadOnlyList<string>? ExcludeSources = null) : ILockMessage, IWireMessage;

/// <summary>Releases a held lock. Refused (<see cref="LockRefused"/>) unless node and token match the holder.</summary>
/// <param name="Error">Why the holder failed, when <paramref name="Success"/> is false.</param>
/// <param name="RetryAfter">The holder's registry answered 429 or 503 with this <c>Retry-After</c>: no
/// request for that registry (its <see cref="AcquireLock.Registry"/>) is granted, on any key, until it
/// has passed. Null = no rate limit seen.</param>
/// <param name="Bytes">Bytes the holder fetched from upstream under the lock (for the byte metrics); null = not said (HTTP clients).</param>
public sealed record ReleaseLock(string Key, string Node, long Token, bool Success, string? Error = null, TimeSpan? RetryAfter = null, long? Bytes = null) : ILockMessage, IWireMessage;

/// <summary>Withdraws a waiting request; answered with <see cref="LockNotAcquired"/> (reason "cancelled").</summary>
public sealed record CancelWait(string Key, string Node, long RequestId) : ILockMessage, IWireMessage;

/// <summary>Renews the lease of a held lock; answered with <see cref="LockKeptAlive"/> or <see cref="LockRefused"/>.</summary>
public sealed record KeepLockAlive(string Key, string Node, long Token) : ILockMessage, IWireMessage;

/// <summary>
/// A holder presents a lock it still holds: after a Coordinator restart (during the recovery
/// grace period) or on a new session of the same node. The sender becomes the owner.
/// Answered with <see cref="ClaimAccepted"/> or <see cref="ClaimRejected"/>.
/// </summary>
public sealed record ClaimLock(string Key, string Node, long Token) : ILockMessage, IWireMessage;

/// <summary>
/// The requester's fetch of a <see cref="PeerGranted"/> layer from <paramref name="Source"/> ended:
/// frees the source's upload slot; with <paramref name="Success"/> the requester has the layer too
/// (and serves it next). No reply.
/// </summary>
/// <param name="Bytes">Bytes received from the peer.</param>
/// <param name="Missing">The source answered 404: it does not have the layer (any more), so the Coordinator stops naming it.</param>
public sealed record PeerFetched(string Key, string Node, string Source, bool Success, long Bytes, string? Error = null, bool Missing = false) : ILockMessage, IWireMessage;

/// <summary>The holder's transfer has moved <paramref name="Bytes"/> so far; no reply. Feeds stalled-holder protection.</summary>
public sealed record ReportProgress(string Key, string Node, long Token, long Bytes) : ILockMessage, IWireMessage;
