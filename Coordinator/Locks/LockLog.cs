namespace LayerLock.Coordinator.Locks;

/// <summary>
/// The lock transitions, one event each, with stable names (DESIGN.md "Log events").
/// Together they cover the seed's log points: TryLock input (<c>lock.requested</c>) and output
/// (<c>lock.acquired</c>, <c>lock.queued</c>, <c>lock.not-acquired</c>), enqueue and dequeue of the
/// queue head, the unlock path (<c>lock.released</c> with success or error), and the monitor's
/// release of a dead holder (<c>lock.failover</c>).
/// </summary>
internal sealed partial class LockLog(ILogger logger)
{
    public static readonly LockLog None = new(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

    [LoggerMessage(EventId = 200, EventName = "lock.requested", Level = LogLevel.Information,
        Message = "lock.requested {Key} by {Node} request {RequestId} wait_ms {WaitMs}")]
    public partial void Requested(string key, string node, long requestId, long waitMs);

    [LoggerMessage(EventId = 201, EventName = "lock.acquired", Level = LogLevel.Information,
        Message = "lock.acquired {Key} by {Node} token {Token} after {WaitedMs} ms")]
    public partial void Acquired(string key, string node, long token, long waitedMs);

    [LoggerMessage(EventId = 202, EventName = "lock.queued", Level = LogLevel.Information,
        Message = "lock.queued {Key} for {Node} at position {Position} behind holder {Holder}")]
    public partial void Queued(string key, string node, int position, string? holder);

    [LoggerMessage(EventId = 203, EventName = "lock.dequeued", Level = LogLevel.Information,
        Message = "lock.dequeued {Key} head {Node} after {WaitedMs} ms in the queue")]
    public partial void Dequeued(string key, string node, long waitedMs);

    [LoggerMessage(EventId = 204, EventName = "lock.released", Level = LogLevel.Information,
        Message = "lock.released {Key} by {Node} token {Token} success {Success} error {Error} held {HeldMs} ms; next {Next}")]
    public partial void Released(string key, string node, long token, bool success, string? error, long heldMs, string? next);

    [LoggerMessage(EventId = 205, EventName = "lock.failover", Level = LogLevel.Warning,
        Message = "lock.failover {Key} holder {Node} token {Token} released on the fail path: {Reason}; held {HeldMs} ms; next {Next}")]
    public partial void Failover(string key, string node, long token, string reason, long heldMs, string? next);

    [LoggerMessage(EventId = 206, EventName = "lock.not-acquired", Level = LogLevel.Information,
        Message = "lock.not-acquired {Key} for {Node} request {RequestId}: {Reason}; holder {Holder}, {Waiters} waiting")]
    public partial void NotAcquired(string key, string node, long requestId, string reason, string? holder, int waiters);

    [LoggerMessage(EventId = 207, EventName = "lock.refused", Level = LogLevel.Warning,
        Message = "lock.refused {Key} {Operation} by {Node} token {Token}: {Reason}; holder {Holder}")]
    public partial void Refused(string key, string operation, string node, long token, string reason, string? holder);

    [LoggerMessage(EventId = 208, EventName = "lock.claimed", Level = LogLevel.Information,
        Message = "lock.claimed {Key} by {Node} token {Token} ({How})")]
    public partial void Claimed(string key, string node, long token, string how);

    [LoggerMessage(EventId = 209, EventName = "lock.kept-alive", Level = LogLevel.Debug,
        Message = "lock.kept-alive {Key} by {Node} token {Token} for {TtlMs} ms")]
    public partial void KeptAlive(string key, string node, long token, long ttlMs);

    [LoggerMessage(EventId = 210, EventName = "recovery.started", Level = LogLevel.Information,
        Message = "recovery.started epoch {Epoch}: holders may reclaim their locks for {GraceMs} ms; nothing new is granted meanwhile")]
    public partial void RecoveryStarted(long epoch, long graceMs);

    [LoggerMessage(EventId = 211, EventName = "recovery.ended", Level = LogLevel.Information,
        Message = "recovery.ended: {Keys} keys active; unclaimed keys are free")]
    public partial void RecoveryEnded(int keys);

    [LoggerMessage(EventId = 212, EventName = "lock.actor-failed", Level = LogLevel.Error,
        Message = "lock.actor-failed {Key}: {Reason}; its holder and waiters were told")]
    public partial void ActorFailed(string key, string reason);

    [LoggerMessage(EventId = 213, EventName = "registry.throttled", Level = LogLevel.Warning,
        Message = "registry.throttled {Registry} asked {Node} to back off (layer {Key}): no grant for it, on any key, for {PauseMs} ms")]
    public partial void Throttled(string registry, string node, string key, long pauseMs);

    [LoggerMessage(EventId = 214, EventName = "lock.deferred", Level = LogLevel.Information,
        Message = "lock.deferred {Key} for {Node}: registry {Registry} is rate-limited for {RemainingMs} ms more")]
    public partial void Deferred(string key, string node, string registry, long remainingMs);

    [LoggerMessage(EventId = 215, EventName = "peer.granted", Level = LogLevel.Information,
        Message = "peer.granted {Key} to {Node} from {Source} ({Uploads} uploads there now)")]
    public partial void PeerGranted(string key, string node, string source, int uploads);

    [LoggerMessage(EventId = 216, EventName = "peer.fetched", Level = LogLevel.Information,
        Message = "peer.fetched {Key} by {Node} from {Source} success {Success} bytes {Bytes} error {Error}")]
    public partial void PeerFetched(string key, string node, string source, bool success, long bytes, string? error);
}
