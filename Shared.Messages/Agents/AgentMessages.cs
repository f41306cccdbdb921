namespace LayerLock.Messages.Agents;

/// <summary>A lock the agent still holds, presented at registration so a restarted Coordinator can re-install it.</summary>
/// <remarks>Carried inside <see cref="RegisterAgent"/>, <see cref="AgentRegistered"/> and <see cref="ReconcileHeld"/>; never sent alone.</remarks>
public sealed record HeldLock(string Key, long Token);

/// <summary>A presented lock the Coordinator did not re-install; the agent must abort the transfer under it.</summary>
/// <remarks>Carried inside <see cref="AgentRegistered"/>; never sent alone.</remarks>
public sealed record RejectedClaim(string Key, long Token, string Reason);

/// <summary>
/// Agent → <c>/user/lock-manager</c>: opens a session for <paramref name="Node"/>, presenting the locks
/// it still holds. The sender is the agent's <c>LockClient</c>, which the session watches.
/// Answered with <see cref="AgentRegistered"/> (whose sender is the agent's new session actor) or
/// <see cref="RegistrationRefused"/>.
/// </summary>
/// <param name="AuthToken">The Coordinator's shared secret (<c>layerlock.coordinator.auth.token</c>) when it has one; null = none.</param>
/// <param name="PeerUrl">Where this agent serves the layers it has to other nodes (<c>http://HOST:PORT</c>,
/// its <c>/v1/blobs/{digest}</c> endpoint); null = it serves none.</param>
public sealed record RegisterAgent(string Node, IReadOnlyList<HeldLock> Held, string? AuthToken = null, string? PeerUrl = null) : IWireMessage;

/// <summary>
/// Agent → its session, after registration and whenever its layers change (every pull and rm): every
/// layer the node has and can serve to peers (its reference counts above zero). The whole set each
/// time, replacing the previous one. No reply. Ignored from an agent that registered no peer URL.
/// </summary>
public sealed record AgentLayers(IReadOnlyList<string> Layers) : IWireMessage;

/// <summary>
/// The session is open; its actor is this message's sender. Of the presented locks,
/// <paramref name="Claimed"/> carried over and <paramref name="Rejected"/> did not.
/// </summary>
public sealed record AgentRegistered(string Node, string Session, IReadOnlyList<HeldLock> Claimed, IReadOnlyList<RejectedClaim> Rejected) : IWireMessage;

/// <summary>The Coordinator would not open a session for <paramref name="Node"/>; <paramref name="Reason"/> says why.</summary>
public sealed record RegistrationRefused(string Node, string Reason) : IWireMessage;

/// <summary>
/// Agent → its session, every second: the locks the agent believes it holds, and how many grants
/// it has received on this session. The session releases, on the fail path, any lock it granted
/// that the agent had seen (its grant's ordinal is at most <paramref name="GrantsSeen"/>) and does
/// not list. Answered with <see cref="LinkAlive"/>, which is also the agent's heartbeat.
/// </summary>
public sealed record ReconcileHeld(IReadOnlyList<HeldLock> Held, long GrantsSeen) : IWireMessage;

/// <summary>Session → agent: the answer to <see cref="ReconcileHeld"/>; the link and the session are alive.</summary>
public sealed record LinkAlive : IWireMessage
{
    public static readonly LinkAlive Instance = new();
}
