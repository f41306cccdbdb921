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
public sealed record RegisterAgent(string Node, IReadOnlyList<HeldLock> Held) : IWireMessage;

/// <summary>
/// The session is open; its actor is this message's sender. Of the presented locks,
/// <paramref name="Claimed"/> carried over and <paramref name="Rejected"/> did not.
/// </summary>
public sealed record AgentRegistered(string Node, string Session, IReadOnlyList<HeldLock> Claimed, IReadOnlyList<RejectedClaim> Rejected) : IWireMessage;

/// <summary>The Coordinator would not open a session for <paramref name="Node"/>; <paramref name="Reason"/> says why.</summary>
public sealed record RegistrationRefused(string Node, string Reason) : IWireMessage;

/// <summary>Agent → its session, periodically: the locks the agent believes it holds. No reply.</summary>
public sealed record ReconcileHeld(IReadOnlyList<HeldLock> Held) : IWireMessage;
