namespace LayerLock.Coordinator.Locks;

/// <summary>What every lock actor shares: the token source, the read-side lock table, metrics, the event log and the clock.</summary>
internal sealed record LockServices(
    FencingTokenSource Tokens,
    LockTable Table,
    CoordinatorMetrics Metrics,
    LockLog Log,
    TimeProvider Time)
{
    /// <summary>Revoke a holder whose transfer reports no progress for this long; zero = off.</summary>
    public TimeSpan StallTimeout { get; init; }

    /// <summary>Revoke a reporting holder whose transfer rate stays below a floor for a window; <see cref="RateFloor.Off"/> = never.</summary>
    public RateFloor RateFloor { get; init; } = RateFloor.Off;

    /// <summary>
    /// How long an idle key's actor is kept before it is stopped; zero = stop at once. A short
    /// linger keeps a hot key's actor (and its slot in the manager) across back-to-back cycles.
    /// </summary>
    public TimeSpan IdleLinger { get; init; }

    /// <summary>The shared secret an agent's registration must carry; null = none (DESIGN.md, "Security").</summary>
    public string? AgentSecret { get; init; }

    /// <summary>The agent sessions' events.</summary>
    public LayerLock.Coordinator.Agents.AgentLog AgentLog { get; init; } = LayerLock.Coordinator.Agents.AgentLog.None;

    /// <summary>Which node has which layer, and where it serves it to peers (<c>GET /layers</c>).</summary>
    public LayerLock.Coordinator.Agents.LayerSources Sources { get; } = new();

    /// <summary>The connected agents, for /metrics and status.</summary>
    public LayerLock.Coordinator.Agents.AgentTable Agents { get; } = new();

    /// <summary>The peer transfers each node serves now, against <c>peers.max-uploads</c>.</summary>
    public UploadSlots Uploads { get; init; } = new(4);

    /// <summary>Registries paused by a rate limit, for every key.</summary>
    public RegistryThrottles Throttles { get; } = new(Time);

    /// <summary>Why owners ended, for the fail-path events.</summary>
    public OwnerEndReasons EndReasons { get; } = new();

    private int _endedAtStop;

    /// <summary>Locks still in use that the Coordinator's own shutdown ended (holder and waiters told); summed up once by the lock manager.</summary>
    public int EndedAtStop => Volatile.Read(ref _endedAtStop);

    public void CountEndedAtStop() => Interlocked.Increment(ref _endedAtStop);
}
