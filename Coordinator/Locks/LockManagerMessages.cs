namespace LayerLock.Coordinator.Locks;

/// <summary>A lock actor tells its manager it has no holder and no waiters after handling <paramref name="Handled"/> routed messages.</summary>
internal sealed record KeyIdle(string Key, long Handled);

/// <summary>Timer message: stop the keys that stayed idle since the previous sweep.</summary>
internal sealed record IdleSweep
{
    public static readonly IdleSweep Instance = new();
}

/// <summary>The recovery grace period is over: unclaimed keys are free.</summary>
internal sealed record RecoveryEnded
{
    public static readonly RecoveryEnded Instance = new();
}

/// <summary>Timer message (and its timer key): the queued request <paramref name="RequestId"/> of <paramref name="Node"/> waited long enough.</summary>
internal sealed record WaitExpired(string Node, long RequestId);

/// <summary>Timer message: the lease of the grant with <paramref name="Token"/> ran out.</summary>
internal sealed record LeaseExpired(long Token);

/// <summary>Timer message: check that the holder with <paramref name="Token"/> still makes progress.</summary>
internal sealed record StallCheck(long Token);

/// <summary>Timer message: a source's upload slot may be free again; try the waiters.</summary>
internal sealed record PeerSlotCheck
{
    public static readonly PeerSlotCheck Instance = new();
}

/// <summary>Timer message: the registry that held back the queue's head may be free again; try to grant.</summary>
internal sealed record ThrottleEnded
{
    public static readonly ThrottleEnded Instance = new();
}

/// <summary>Timer message: the holder with <paramref name="Token"/> has finished a rate window; judge it against the floor.</summary>
internal sealed record RateCheck(long Token);
