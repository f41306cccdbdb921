namespace LayerLock.NodeAgent.Coordination;

internal sealed partial class ClientLog(ILogger logger)
{
    [LoggerMessage(EventId = 400, EventName = "session.opened", Level = LogLevel.Information,
        Message = "session.opened {Node} to {Coordinator} as {Session}; {Claimed} held locks carried over, {Rejected} lost")]
    public partial void Opened(string node, Uri coordinator, string session, int claimed, int rejected);

    [LoggerMessage(EventId = 401, EventName = "session.closed", Level = LogLevel.Warning,
        Message = "session.closed {Node}: {Reason}; reconnecting in {DelayMs} ms")]
    public partial void Closed(string node, string reason, long delayMs);

    [LoggerMessage(EventId = 402, EventName = "session.unreachable", Level = LogLevel.Warning,
        Message = "cannot reach the coordinator at {Coordinator}: {Reason}; retrying in {DelayMs} ms")]
    public partial void Unreachable(Uri coordinator, string reason, long delayMs);

    [LoggerMessage(EventId = 403, EventName = "lock.lost", Level = LogLevel.Warning,
        Message = "lock.lost {Key} token {Token}: {Reason}")]
    public partial void Lost(string key, long token, string reason);

    [LoggerMessage(EventId = 404, EventName = "session.error", Level = LogLevel.Warning,
        Message = "session.error from the coordinator: {Code} {Message}")]
    public partial void Error(string code, string message);
}
