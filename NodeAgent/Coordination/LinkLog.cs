namespace LayerLock.NodeAgent.Coordination;

/// <summary>
/// The agent's side of each lock and of its link (DESIGN.md "Log events"): the seed's plan reads
/// these lines in <c>plugin-*.log</c> for the timing and parameters of each Lock/Unlock call and
/// for which node got the lock first and which one waited.
/// </summary>
internal sealed partial class LinkLog(ILogger logger)
{
    public static readonly LinkLog None = new(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

    [LoggerMessage(EventId = 410, EventName = "session.opened", Level = LogLevel.Information,
        Message = "session.opened {Node} to {Coordinator} as {Session}; {Claimed} held locks carried over, {Rejected} lost")]
    public partial void Opened(string node, string coordinator, string session, int claimed, int rejected);

    [LoggerMessage(EventId = 411, EventName = "session.closed", Level = LogLevel.Warning,
        Message = "session.closed {Node}: {Reason}; re-registering in {DelayMs} ms")]
    public partial void Closed(string node, string reason, long delayMs);

    [LoggerMessage(EventId = 412, EventName = "session.unreachable", Level = LogLevel.Warning,
        Message = "cannot register with the coordinator at {Coordinator}: {Reason}; retrying in {DelayMs} ms")]
    public partial void Unreachable(string coordinator, string reason, long delayMs);

    [LoggerMessage(EventId = 413, EventName = "session.refused", Level = LogLevel.Error,
        Message = "session.refused {Node}: the coordinator refused the registration: {Reason}")]
    public partial void Refused(string node, string reason);

    [LoggerMessage(EventId = 414, EventName = "session.quarantined", Level = LogLevel.Warning,
        Message = "session.quarantined {Node}: {Coordinator} quarantined this agent's ActorSystem; starting a new one")]
    public partial void Quarantined(string node, string coordinator);

    [LoggerMessage(EventId = 420, EventName = "lock.requested", Level = LogLevel.Information,
        Message = "lock.requested {Key} by {Node} request {RequestId} wait_ms {WaitMs}")]
    public partial void Requested(string key, string node, long requestId, long waitMs);

    [LoggerMessage(EventId = 421, EventName = "lock.queued", Level = LogLevel.Information,
        Message = "lock.queued {Key} for {Node} at position {Position} behind holder {Holder}")]
    public partial void Queued(string key, string node, int position, string? holder);

    [LoggerMessage(EventId = 422, EventName = "lock.acquired", Level = LogLevel.Information,
        Message = "lock.acquired {Key} by {Node} token {Token} after {WaitedMs} ms")]
    public partial void Acquired(string key, string node, long token, long waitedMs);

    [LoggerMessage(EventId = 423, EventName = "lock.released", Level = LogLevel.Information,
        Message = "lock.released {Key} by {Node} token {Token} success {Success} error {Error}")]
    public partial void Releasing(string key, string node, long token, bool success, string? error);

    [LoggerMessage(EventId = 424, EventName = "lock.lost", Level = LogLevel.Warning,
        Message = "lock.lost {Key} token {Token}: {Reason}")]
    public partial void Lost(string key, long token, string reason);

    [LoggerMessage(EventId = 425, EventName = "lock.handed-back", Level = LogLevel.Warning,
        Message = "lock.handed-back {Key} token {Token}: granted after its requester gave up; released on the fail path")]
    public partial void HandedBack(string key, long token);

    [LoggerMessage(EventId = 426, EventName = "peer.granted", Level = LogLevel.Information,
        Message = "peer.granted {Key} to {Node}: fetch it from {Source}")]
    public partial void PeerGranted(string key, string node, string source);
}
