using Akka.Actor;
using LayerLock.Coordinator.Agents;
using LayerLock.Messages.Agents;
using LayerLock.Messages.Locks;

namespace LayerLock.Coordinator.Locks;

/// <summary>
/// Agent registration over Akka.Remote: <c>/user/lock-manager</c> is the one path an agent may
/// reach by selection (untrusted mode), so registration comes here. Each registration starts an
/// <see cref="AgentSession"/>; one session per node is open at a time, and a node's newer session
/// ends the older one only after it has claimed the locks the agent still holds.
/// </summary>
internal sealed partial class LockManager
{
    private readonly Dictionary<string, IActorRef> _sessionOfNode = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, string> _nodeOfSession = [];
    private long _sessionNumbers;

    private void OnRegisterAgent(RegisterAgent register)
    {
        var agent = Sender;
        var remote = agent.Path.Address.ToString();
        var refusal = LockLimits.CheckNode(register.Node)
            ?? (agent.IsNobody() || agent is DeadLetterActorRef ? "a registration must be sent by the agent's lock client" : null)
            ?? (_services.AgentSecret is { } secret && !FixedTimeEquals(secret, register.AuthToken) ? "the shared secret does not match (layerlock.agent.auth.token)" : null)
            ?? register.Held.Select(h => LockLimits.CheckKey(h.Key) ?? (h.Token > 0 ? null : $"held lock '{h.Key}' has token {h.Token}; tokens are above 0")).FirstOrDefault(e => e is not null);
        if (refusal is not null)
        {
            _services.AgentLog.RegistrationRefused(register.Node ?? "?", remote, refusal);
            agent.Tell(new RegistrationRefused(register.Node ?? string.Empty, refusal), Self);
            return;
        }

        var name = $"agent-{ActorNames.ForKey(register.Node)}-{++_sessionNumbers}";
        var session = Context.System.ActorOf(AgentSession.Props(register.Node, name, agent, register.Held, Self, _services, _services.AgentLog), name);
        Context.Watch(session);
        _nodeOfSession[session] = register.Node;
    }

    private void OnSessionOpened(SessionOpened opened)
    {
        if (!_nodeOfSession.ContainsKey(opened.Session))
        {
            return; // ended before it opened
        }

        if (_sessionOfNode.TryGetValue(opened.Node, out var previous) && !previous.Equals(opened.Session))
        {
            _services.AgentLog.Replaced(opened.Node, previous.Path.Name, opened.Session.Path.Name);
            previous.Tell(new EndSession("replaced by a new session of the same node"), Self);
        }

        _sessionOfNode[opened.Node] = opened.Session;
    }

    private void OnSessionTerminated(Terminated terminated)
    {
        if (_nodeOfSession.Remove(terminated.ActorRef, out var node)
            && _sessionOfNode.TryGetValue(node, out var current)
            && current.Equals(terminated.ActorRef))
        {
            _sessionOfNode.Remove(node);
        }
    }

    private static bool FixedTimeEquals(string expected, string? presented) =>
        presented is not null
        && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(expected), System.Text.Encoding.UTF8.GetBytes(presented));
}
