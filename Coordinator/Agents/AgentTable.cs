using System.Collections.Concurrent;
using Akka.Actor;

namespace LayerLock.Coordinator.Agents;

/// <summary>
/// A read-side copy of the connected agents (one open session per node), written by the sessions,
/// so <c>/metrics</c> and status pages never queue behind the actors.
/// </summary>
internal sealed class AgentTable
{
    private readonly ConcurrentDictionary<string, AgentEntry> _agents = new(StringComparer.Ordinal);

    public int Count => _agents.Count;

    public void Set(AgentEntry entry) => _agents[entry.Node] = entry;

    /// <summary>Removes the node's entry only if it is still this session's (a newer one may have replaced it).</summary>
    public void Remove(string node, IActorRef session)
    {
        if (_agents.TryGetValue(node, out var entry) && entry.Session.Equals(session))
        {
            _agents.TryRemove(new KeyValuePair<string, AgentEntry>(node, entry));
        }
    }

    public IReadOnlyList<AgentEntry> All() => [.. _agents.Values.OrderBy(a => a.Node, StringComparer.Ordinal)];
}

/// <summary>One connected agent. <paramref name="Since"/> is from <see cref="TimeProvider.GetTimestamp"/>.</summary>
internal sealed record AgentEntry(string Node, string Address, string SessionName, long Since, IActorRef Session);
