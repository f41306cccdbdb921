using System.Runtime.CompilerServices;
using Akka.Actor;

namespace LayerLock.Coordinator.Locks;

/// <summary>
/// Why an owner (an agent session, an HTTP request) ended, for the <c>lock.failover</c> event.
/// Akka's <see cref="Terminated"/> carries no reason, so an owner records one before it stops;
/// <see cref="Terminated"/> is delivered only after the owner's <c>PostStop</c>, so the lock actor
/// finds it there. Weakly keyed by the owner's reference: an entry lives as long as some lock
/// still holds that reference.
/// </summary>
internal sealed class OwnerEndReasons
{
    private readonly ConditionalWeakTable<IActorRef, string> _reasons = [];

    /// <summary>Records why <paramref name="owner"/> ends; the first reason wins.</summary>
    public void Record(IActorRef owner, string reason) => _reasons.TryAdd(owner, reason);

    /// <summary>The recorded reason, else one made from the <see cref="Terminated"/> itself.</summary>
    public string Of(Terminated terminated) =>
        _reasons.TryGetValue(terminated.ActorRef, out var reason)
            ? reason
            : terminated.AddressTerminated
                ? "its node's link is gone (Akka.Remote address terminated)"
                : "stopped";
}
