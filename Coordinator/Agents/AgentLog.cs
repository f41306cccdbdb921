using LayerLock.Coordinator.Dashboard;

namespace LayerLock.Coordinator.Agents;

/// <summary>
/// The agent sessions' events (DESIGN.md "Log events"): the same names as the sessions they replace.
/// With <see cref="Events"/> attached, <c>session.opened</c> and <c>session.closed</c> are also
/// published there for the live page (<see cref="LockEvent"/>).
/// </summary>
internal sealed partial class AgentLog(ILogger logger)
{
    public static readonly AgentLog None = new(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

    /// <summary>The ActorSystem's event stream, attached once as the actors start; null = log only.</summary>
    public Akka.Event.EventStream? Events { get; set; }

    public void Opened(string node, string session, string remote, int held, int claimed)
    {
        LogOpened(node, session, remote, held, claimed);
        LockEvent.Publish(Events, "session.opened", string.Empty, node, null, $"from {remote}, {held} held locks presented");
    }

    public void Closed(string node, string session, string reason)
    {
        LogClosed(node, session, reason);
        LockEvent.Publish(Events, "session.closed", string.Empty, node, null, reason);
    }

    [LoggerMessage(EventId = 310, EventName = "session.opened", Level = LogLevel.Information,
        Message = "session.opened {Node} {Session} from {Remote}; presented {Held} held locks, {Claimed} carried over")]
    private partial void LogOpened(string node, string session, string remote, int held, int claimed);

    [LoggerMessage(EventId = 311, EventName = "session.closed", Level = LogLevel.Information,
        Message = "session.closed {Node} {Session}: {Reason}")]
    private partial void LogClosed(string node, string session, string reason);

    [LoggerMessage(EventId = 312, EventName = "session.refused", Level = LogLevel.Warning,
        Message = "session.refused {Node} {Session}: {Detail}")]
    public partial void Refused(string node, string session, string detail);

    [LoggerMessage(EventId = 313, EventName = "session.replaced", Level = LogLevel.Information,
        Message = "session.replaced {Node}: {OldSession} gives way to {NewSession}")]
    public partial void Replaced(string node, string oldSession, string newSession);

    [LoggerMessage(EventId = 314, EventName = "session.registration-refused", Level = LogLevel.Warning,
        Message = "session.registration-refused {Node} from {Remote}: {Reason}")]
    public partial void RegistrationRefused(string node, string remote, string reason);

    [LoggerMessage(EventId = 315, EventName = "session.reconciled", Level = LogLevel.Warning,
        Message = "session.reconciled {Node}: {Key} token {Token} is held by the Coordinator's count but not by the agent's; released on the fail path")]
    public partial void Reconciled(string node, string key, long token);

    [LoggerMessage(EventId = 316, EventName = "layers.reported", Level = LogLevel.Debug,
        Message = "layers.reported {Node} {Session} has {Layers} layers to serve to peers")]
    public partial void LayersReported(string node, string session, int layers);
}
