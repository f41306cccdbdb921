using LayerLock.Coordinator.Dashboard;

namespace LayerLock.Coordinator.Locks;

/// <summary>
/// The lock transitions, one event each, with stable names (DESIGN.md "Log events").
/// Together they cover the seed's log points: TryLock input (<c>lock.requested</c>) and output
/// (<c>lock.acquired</c>, <c>lock.queued</c>, <c>lock.not-acquired</c>), enqueue and dequeue of the
/// queue head, the unlock path (<c>lock.released</c> with success or error), and the monitor's
/// release of a dead holder (<c>lock.failover</c>).
/// With <see cref="Events"/> attached, every transition the live page shows is also published there
/// as a <see cref="LockEvent"/> (all but <c>lock.requested</c>, <c>lock.dequeued</c> and <c>lock.kept-alive</c>).
/// </summary>
internal sealed partial class LockLog(ILogger logger)
{
    public static readonly LockLog None = new(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

    /// <summary>The ActorSystem's event stream, attached once as the actors start; null = log only.</summary>
    public Akka.Event.EventStream? Events { get; set; }

    public void Requested(string key, string node, long requestId, long waitMs) => LogRequested(key, node, requestId, waitMs);

    public void Acquired(string key, string node, long token, long waitedMs)
    {
        LogAcquired(key, node, token, waitedMs);
        LockEvent.Publish(Events, "lock.acquired", key, node, token, $"after {waitedMs} ms");
    }

    public void Queued(string key, string node, int position, string? holder)
    {
        LogQueued(key, node, position, holder);
        LockEvent.Publish(Events, "lock.queued", key, node, null, $"position {position}" + (holder is null ? string.Empty : $" behind {holder}"));
    }

    public void Dequeued(string key, string node, long waitedMs) => LogDequeued(key, node, waitedMs);

    public void Released(string key, string node, long token, bool success, string? error, long heldMs, string? next)
    {
        LogReleased(key, node, token, success, error, heldMs, next);
        LockEvent.Publish(Events, "lock.released", key, node, token, (success ? "success" : $"error: {error ?? "(none given)"}") + $", held {heldMs} ms", next, warning: !success);
    }

    public void Failover(string key, string node, long token, string reason, long heldMs, string? next)
    {
        LogFailover(key, node, token, reason, heldMs, next);
        LockEvent.Publish(Events, "lock.failover", key, node, token, $"{reason}, held {heldMs} ms", next, warning: true);
    }

    public void NotAcquired(string key, string node, long requestId, string reason, string? holder, int waiters)
    {
        LogNotAcquired(key, node, requestId, reason, holder, waiters);
        LockEvent.Publish(Events, "lock.not-acquired", key, node, null, reason);
    }

    public void Refused(string key, string operation, string node, long token, string reason, string? holder)
    {
        LogRefused(key, operation, node, token, reason, holder);
        LockEvent.Publish(Events, "lock.refused", key, node, token, $"{operation}: {reason}", warning: true);
    }

    public void Claimed(string key, string node, long token, string how)
    {
        LogClaimed(key, node, token, how);
        LockEvent.Publish(Events, "lock.claimed", key, node, token, how);
    }

    public void KeptAlive(string key, string node, long token, long ttlMs) => LogKeptAlive(key, node, token, ttlMs);

    public void RecoveryStarted(long epoch, long graceMs)
    {
        LogRecoveryStarted(epoch, graceMs);
        LockEvent.Publish(Events, "recovery.started", string.Empty, string.Empty, null, $"epoch {epoch}: holders may reclaim their locks for {graceMs} ms");
    }

    public void RecoveryEnded(int keys)
    {
        LogRecoveryEnded(keys);
        LockEvent.Publish(Events, "recovery.ended", string.Empty, string.Empty, null, $"{keys} keys active");
    }

    public void ActorFailed(string key, string reason)
    {
        LogActorFailed(key, reason);
        LockEvent.Publish(Events, "lock.actor-failed", key, string.Empty, null, reason, warning: true);
    }

    /// <summary>The Coordinator's shutdown ended a lock in use (Debug; <see cref="LocksEndedAtStop"/> sums them up). Not published: no page outlives the stop.</summary>
    public void StoppedInUse(string key, string? holder, int waiters) => LogStoppedInUse(key, holder ?? "nobody", waiters);

    /// <summary>How many locks in use the Coordinator's shutdown ended, once, from the lock manager.</summary>
    public void LocksEndedAtStop(int locks) => LogLocksEndedAtStop(locks);

    public void Throttled(string registry, string node, string key, long pauseMs)
    {
        LogThrottled(registry, node, key, pauseMs);
        LockEvent.Publish(Events, "registry.throttled", key, node, null, $"{registry} asked to back off: no grant for it for {pauseMs} ms", warning: true);
    }

    public void Deferred(string key, string node, string registry, long remainingMs)
    {
        LogDeferred(key, node, registry, remainingMs);
        LockEvent.Publish(Events, "lock.deferred", key, node, null, $"{registry} is rate-limited for {remainingMs} ms more");
    }

    public void PeerGranted(string key, string node, string source, int uploads)
    {
        LogPeerGranted(key, node, source, uploads);
        LockEvent.Publish(Events, "peer.granted", key, node, null, $"from {source}");
    }

    public void PeerFetched(string key, string node, string source, bool success, long bytes, string? error)
    {
        LogPeerFetched(key, node, source, success, bytes, error);
        LockEvent.Publish(Events, "peer.fetched", key, node, null, success ? $"from {source}, {bytes} bytes" : $"from {source} failed: {error}", warning: !success);
    }

    [LoggerMessage(EventId = 200, EventName = "lock.requested", Level = LogLevel.Information,
        Message = "lock.requested {Key} by {Node} request {RequestId} wait_ms {WaitMs}")]
    private partial void LogRequested(string key, string node, long requestId, long waitMs);

    [LoggerMessage(EventId = 201, EventName = "lock.acquired", Level = LogLevel.Information,
        Message = "lock.acquired {Key} by {Node} token {Token} after {WaitedMs} ms")]
    private partial void LogAcquired(string key, string node, long token, long waitedMs);

    [LoggerMessage(EventId = 202, EventName = "lock.queued", Level = LogLevel.Information,
        Message = "lock.queued {Key} for {Node} at position {Position} behind holder {Holder}")]
    private partial void LogQueued(string key, string node, int position, string? holder);

    [LoggerMessage(EventId = 203, EventName = "lock.dequeued", Level = LogLevel.Information,
        Message = "lock.dequeued {Key} head {Node} after {WaitedMs} ms in the queue")]
    private partial void LogDequeued(string key, string node, long waitedMs);

    [LoggerMessage(EventId = 204, EventName = "lock.released", Level = LogLevel.Information,
        Message = "lock.released {Key} by {Node} token {Token} success {Success} error {Error} held {HeldMs} ms; next {Next}")]
    private partial void LogReleased(string key, string node, long token, bool success, string? error, long heldMs, string? next);

    [LoggerMessage(EventId = 205, EventName = "lock.failover", Level = LogLevel.Warning,
        Message = "lock.failover {Key} holder {Node} token {Token} released on the fail path: {Reason}; held {HeldMs} ms; next {Next}")]
    private partial void LogFailover(string key, string node, long token, string reason, long heldMs, string? next);

    [LoggerMessage(EventId = 206, EventName = "lock.not-acquired", Level = LogLevel.Information,
        Message = "lock.not-acquired {Key} for {Node} request {RequestId}: {Reason}; holder {Holder}, {Waiters} waiting")]
    private partial void LogNotAcquired(string key, string node, long requestId, string reason, string? holder, int waiters);

    [LoggerMessage(EventId = 207, EventName = "lock.refused", Level = LogLevel.Warning,
        Message = "lock.refused {Key} {Operation} by {Node} token {Token}: {Reason}; holder {Holder}")]
    private partial void LogRefused(string key, string operation, string node, long token, string reason, string? holder);

    [LoggerMessage(EventId = 208, EventName = "lock.claimed", Level = LogLevel.Information,
        Message = "lock.claimed {Key} by {Node} token {Token} ({How})")]
    private partial void LogClaimed(string key, string node, long token, string how);

    [LoggerMessage(EventId = 209, EventName = "lock.kept-alive", Level = LogLevel.Debug,
        Message = "lock.kept-alive {Key} by {Node} token {Token} for {TtlMs} ms")]
    private partial void LogKeptAlive(string key, string node, long token, long ttlMs);

    [LoggerMessage(EventId = 210, EventName = "recovery.started", Level = LogLevel.Information,
        Message = "recovery.started epoch {Epoch}: holders may reclaim their locks for {GraceMs} ms; nothing new is granted meanwhile")]
    private partial void LogRecoveryStarted(long epoch, long graceMs);

    [LoggerMessage(EventId = 211, EventName = "recovery.ended", Level = LogLevel.Information,
        Message = "recovery.ended: {Keys} keys active; unclaimed keys are free")]
    private partial void LogRecoveryEnded(int keys);

    [LoggerMessage(EventId = 212, EventName = "lock.actor-failed", Level = LogLevel.Error,
        Message = "lock.actor-failed {Key}: {Reason}; its holder and waiters were told")]
    private partial void LogActorFailed(string key, string reason);

    [LoggerMessage(EventId = 213, EventName = "registry.throttled", Level = LogLevel.Warning,
        Message = "registry.throttled {Registry} asked {Node} to back off (layer {Key}): no grant for it, on any key, for {PauseMs} ms")]
    private partial void LogThrottled(string registry, string node, string key, long pauseMs);

    [LoggerMessage(EventId = 214, EventName = "lock.deferred", Level = LogLevel.Information,
        Message = "lock.deferred {Key} for {Node}: registry {Registry} is rate-limited for {RemainingMs} ms more")]
    private partial void LogDeferred(string key, string node, string registry, long remainingMs);

    [LoggerMessage(EventId = 215, EventName = "peer.granted", Level = LogLevel.Information,
        Message = "peer.granted {Key} to {Node} from {Source} ({Uploads} uploads there now)")]
    private partial void LogPeerGranted(string key, string node, string source, int uploads);

    [LoggerMessage(EventId = 216, EventName = "peer.fetched", Level = LogLevel.Information,
        Message = "peer.fetched {Key} by {Node} from {Source} success {Success} bytes {Bytes} error {Error}")]
    private partial void LogPeerFetched(string key, string node, string source, bool success, long bytes, string? error);

    [LoggerMessage(EventId = 217, EventName = "lock.stopped", Level = LogLevel.Debug,
        Message = "lock.stopped {Key}: the Coordinator is stopping; holder {Holder} was told its lock is revoked, {Waiters} waiters that it was not acquired")]
    private partial void LogStoppedInUse(string key, string holder, int waiters);

    [LoggerMessage(EventId = 218, EventName = "lock.service-stopped", Level = LogLevel.Information,
        Message = "lock.service-stopped: the Coordinator stopped with {Locks} locks in use; their holders were told the locks are revoked and their waiters that they were not acquired")]
    private partial void LogLocksEndedAtStop(int locks);
}
