namespace LayerLock.Coordinator.Locks;

/// <summary>What every lock actor shares: the token source, the read-side lock table, metrics and the event log.</summary>
internal sealed record LockServices(
    FencingTokenSource Tokens,
    LockTable Table,
    CoordinatorMetrics Metrics,
    LockLog Log,
    TimeProvider Time);
