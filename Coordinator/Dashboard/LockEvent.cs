using Akka.Event;

namespace LayerLock.Coordinator.Dashboard;

/// <summary>
/// One lock or session transition, as the live page shows it: published on the ActorSystem's
/// <see cref="EventStream"/> by the actor that made the transition (through <see cref="Locks.LockLog"/>
/// and <see cref="Agents.AgentLog"/>, so a logged event and a published one cannot drift apart), and
/// read by <see cref="DashboardFeed"/>.
/// </summary>
/// <param name="Name">The log event's name (DESIGN.md "Log events"), e.g. <c>lock.acquired</c>, <c>lock.failover</c>, <c>session.opened</c>.</param>
/// <param name="Key">The lock key (a layer digest for agents); empty for session events.</param>
/// <param name="Node">The node the event is about: the holder, the requester, the fetcher or the session's node.</param>
/// <param name="Token">The fencing token, when the event has one.</param>
/// <param name="Detail">The rest of the event in words (outcome, error, reason, position), for people.</param>
/// <param name="Next">For <c>lock.released</c> and <c>lock.failover</c>: the node granted next, if any.</param>
/// <param name="Warning">Logged at Warning or above (fail-overs, refusals, rate limits).</param>
/// <param name="At">Wall-clock time of the transition (UTC).</param>
/// <param name="Timestamp">The same instant from <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>, for hand-off latency.</param>
internal sealed record LockEvent(
    string Name,
    string Key,
    string Node,
    long? Token,
    string Detail,
    string? Next,
    bool Warning,
    DateTimeOffset At,
    long Timestamp)
{
    /// <summary>Publishes a transition on <paramref name="stream"/>; nothing when no stream is attached (specs' logs, before start).</summary>
    public static void Publish(EventStream? stream, string name, string key, string node, long? token, string detail, string? next = null, bool warning = false) =>
        stream?.Publish(new LockEvent(name, key, node, token, detail, next, warning, DateTimeOffset.UtcNow, System.Diagnostics.Stopwatch.GetTimestamp()));
}
