namespace LayerLock.Messages.Locks;

/// <summary>The lock is the requester's. <paramref name="Token"/> is its fencing token.</summary>
public sealed record LockGranted(string Key, string Node, long RequestId, long Token, TimeSpan? Ttl) : IWireMessage;

/// <summary>The request waits; <paramref name="Position"/> counts from 1 (next in line).</summary>
public sealed record LockQueued(string Key, long RequestId, int Position, string? Holder) : IWireMessage;

/// <summary>
/// The request ended without the lock. <paramref name="Reason"/>: <c>busy</c> (try-lock),
/// <c>timeout</c>, <c>cancelled</c>, <c>superseded</c> (the node asked again), <c>recovering</c>
/// (try-lock during the recovery grace period) or <c>internal</c>.
/// </summary>
public sealed record LockNotAcquired(string Key, long RequestId, string? Holder, int Waiters, string Reason) : IWireMessage;

/// <summary>The lock was released; <paramref name="Next"/> is the node granted next, if any.</summary>
public sealed record LockReleased(string Key, long Token, string? Next) : IWireMessage;

/// <summary>An unlock, keep-alive or claim that did not match the holder; nothing changed.</summary>
public sealed record LockRefused(string Key, string Reason, string? Holder) : IWireMessage;

public sealed record LockKeptAlive(string Key, long Token, TimeSpan Ttl) : IWireMessage;

public sealed record ClaimAccepted(string Key, long Token) : IWireMessage;

public sealed record ClaimRejected(string Key, long Token, string Reason, string? Holder) : IWireMessage;

/// <summary>Pushed to a holder whose lock was taken away (lease expired, transfer stalled); it must stop using it.</summary>
public sealed record LockRevoked(string Key, long Token, string Reason) : IWireMessage;

/// <summary>
/// Answer to an <see cref="AcquireLock"/> that names a registry, when another node already has the
/// layer: fetch it from <paramref name="Source"/> at <paramref name="Url"/> (its
/// <c>/v1/blobs/{digest}</c>), with no lock taken, and report the outcome with
/// <see cref="PeerFetched"/>. Ends the request, like a grant.
/// </summary>
public sealed record PeerGranted(string Key, long RequestId, string Source, string Url) : IWireMessage;
