using Akka.Actor;

namespace LayerLock.Coordinator.Agents;

/// <summary>
/// Akka.Remote's untrusted mode drops <c>PoisonPill</c> and every other <c>IPossiblyHarmful</c>
/// message, but in Akka.NET 1.5.74 <c>Kill</c> is not one of them: any peer that knows an actor's
/// ref (an agent knows its session's and <c>/user/lock-manager</c>) could make it throw
/// <see cref="ActorKilledException"/>. Nothing in the Coordinator sends <c>Kill</c>, so the
/// supervisors of actors an agent can reach resume on it instead of stopping; every other
/// failure is handled as before.
/// </summary>
internal static class RemoteKill
{
    /// <summary><see cref="SupervisorStrategy.StoppingStrategy"/>, except that <c>Kill</c> is ignored.</summary>
    public static SupervisorStrategy Stopping { get; } = new OneForOneStrategy(failure =>
        failure is ActorKilledException ? Directive.Resume : Directive.Stop);
}

/// <summary>
/// The <c>/user</c> guardian's strategy (<c>akka.actor.guardian-supervisor-strategy</c>):
/// Akka's default, except that a top-level actor told <c>Kill</c> from outside resumes (see <see cref="RemoteKill"/>).
/// </summary>
internal sealed class KillProofGuardianStrategy : SupervisorStrategyConfigurator
{
    public override SupervisorStrategy Create() => new OneForOneStrategy(failure =>
        failure is ActorKilledException ? Directive.Resume : SupervisorStrategy.DefaultDecider.Decide(failure));
}
