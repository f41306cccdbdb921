using Akka.Actor;
using LayerLock.Coordinator.Locks;
using LayerLock.Coordinator.Security;
using LayerLock.Messages.Agents;
using LayerLock.Messages.Locks;

namespace LayerLock.Coordinator.Agents;

/// <summary>
/// <c>/user/agents</c>: starts an <see cref="AgentSession"/> child for each accepted registration,
/// and keeps one open session per node. A node's newer session ends the older one only after it
/// has claimed the locks the agent still holds, so those locks never take the fail path.
/// Registrations reach it through <c>/user/lock-manager</c>, the one path an agent may select.
/// </summary>
internal sealed class AgentDirectory : UntypedActor
{
    /// <summary>The actor's name under <c>/user</c>.</summary>
    public const string Name = "agents";

    private readonly LockServices _services;
    private readonly Dictionary<string, IActorRef> _sessionOfNode = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, string> _nodeOfSession = [];
    private long _sessionNumbers;

    public AgentDirectory(LockServices services)
    {
        _services = services;
    }

    public static Props Props(LockServices services) => Akka.Actor.Props.Create(() => new AgentDirectory(services));

    /// <summary>A session that throws is stopped: its locks take the fail path and the agent registers anew. An agent's <c>Kill</c> is ignored (<see cref="RemoteKill"/>).</summary>
    protected override SupervisorStrategy SupervisorStrategy() => RemoteKill.Stopping;

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Registration registration:
                OnRegister(registration.Request, registration.Agent, registration.Manager);
                break;
            case SessionOpened opened:
                OnSessionOpened(opened);
                break;
            case Terminated terminated:
                OnSessionTerminated(terminated);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnRegister(RegisterAgent register, IActorRef agent, IActorRef manager)
    {
        var remote = agent.Path.Address.ToString();
        var refusal = LockLimits.CheckNode(register.Node)
            ?? (agent.IsNobody() || agent is DeadLetterActorRef ? "a registration must be sent by the agent's lock client" : null)
            ?? (_services.AgentSecret is { } secret && !SharedSecretAuth.Matches(System.Text.Encoding.UTF8.GetBytes(secret), register.AuthToken) ? "the shared secret does not match (layerlock.agent.auth.token)" : null)
            ?? (register.Held ?? []).Select(h => LockLimits.CheckKey(h.Key) ?? (h.Token > 0 ? null : $"held lock '{h.Key}' has token {h.Token}; tokens are above 0")).FirstOrDefault(e => e is not null);
        if (refusal is not null)
        {
            _services.AgentLog.RegistrationRefused(register.Node ?? "?", remote, refusal);
            agent.Tell(new RegistrationRefused(register.Node ?? string.Empty, refusal), manager);
            return;
        }

        var name = $"{ActorNames.ForKey(register.Node)}-{++_sessionNumbers}";
        var session = Context.ActorOf(AgentSession.Props(register.Node, name, agent, register.Held ?? [], manager, _services, PeerUrl(register.PeerUrl)), name);
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

    /// <summary>The lock manager hands a registration on: <paramref name="Agent"/> sent it, <paramref name="Manager"/> serves the session's requests.</summary>
    internal sealed record Registration(RegisterAgent Request, IActorRef Agent, IActorRef Manager);

    // An agent's peer URL must be an absolute http(s) URL of reasonable length; anything else is ignored.
    private static string? PeerUrl(string? url) =>
        url is { Length: > 0 and <= 512 } && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri.GetLeftPart(UriPartial.Authority) : null;
}
