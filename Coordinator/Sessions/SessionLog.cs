namespace LayerLock.Coordinator.Sessions;

internal sealed partial class SessionLog(ILogger logger)
{
    [LoggerMessage(EventId = 300, EventName = "session.opened", Level = LogLevel.Information,
        Message = "session.opened {Node} {Session} from {Remote}; presented {Held} held locks, {Claimed} carried over")]
    public partial void Opened(string node, string session, string remote, int held, int claimed);

    [LoggerMessage(EventId = 301, EventName = "session.closed", Level = LogLevel.Information,
        Message = "session.closed {Node} {Session}: {Reason}")]
    public partial void Closed(string node, string session, string reason);

    [LoggerMessage(EventId = 302, EventName = "session.frame-refused", Level = LogLevel.Warning,
        Message = "session.frame-refused {Node} {Session} {Code}: {Detail}")]
    public partial void FrameRefused(string node, string session, string code, string detail);

    [LoggerMessage(EventId = 303, EventName = "session.replaced", Level = LogLevel.Information,
        Message = "session.replaced {Node}: {OldSession} gives way to {NewSession}")]
    public partial void Replaced(string node, string oldSession, string newSession);
}
