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
}
