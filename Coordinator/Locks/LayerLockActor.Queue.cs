using LayerLock.Actors;
using LayerLock.Messages.Locks;

namespace LayerLock.Coordinator.Locks;

/// <summary>Granting, releasing, claims and the queue itself.</summary>
internal sealed partial class LayerLockActor
{
    private void Grant(IContext context, ActorRef owner, string node, long requestId, TimeSpan? ttl, long requestedAt)
    {
        var token = services.Tokens.Next();
        var waited = services.Time.GetElapsedTime(requestedAt);
        _holder = new Holder(owner, node, token, ttl, services.Time.GetTimestamp());
        if (ttl is { } lease)
        {
            _holder.Lease = context.ScheduleTellOnce(lease, context.Self, new LeaseExpired(token));
        }

        context.Watch(owner);
        ArmStallCheck(context, _holder);
        services.Metrics.Granted(waited);
        services.Log.Acquired(key, node, token, (long)waited.TotalMilliseconds);
        owner.Tell(new LockGranted(key, node, requestId, token, ttl), context.Self);
    }

    /// <summary>Grants to the head of the queue, if the key is free to grant; returns its node.</summary>
    private string? GrantNext(IContext context)
    {
        if (_holder is not null || _recovering || _waiters.First is not { } first)
        {
            return null;
        }

        var head = first.Value;
        _waiters.RemoveFirst();
        head.Timeout?.Cancel();
        services.Log.Dequeued(key, head.Node, (long)services.Time.GetElapsedTime(head.EnqueuedAt).TotalMilliseconds);
        Grant(context, head.Owner, head.Node, head.RequestId, head.Ttl, head.EnqueuedAt);
        return head.Node;
    }

    private (Holder Held, TimeSpan HeldFor) TakeHolder(IContext context)
    {
        var held = _holder!;
        _holder = null;
        held.Lease?.Cancel();
        held.StallTimer?.Cancel();
        UnwatchIfUnused(context, held.Owner);
        return (held, services.Time.GetElapsedTime(held.GrantedAt));
    }

    /// <summary>The same path as an unlock with success=false, for a holder that died or let its lease lapse.</summary>
    private void ReleaseOnFailPath(IContext context, string reason)
    {
        var (held, heldFor) = TakeHolder(context);
        services.Metrics.Released(ReleaseOutcome.Failover, heldFor);
        services.Log.Failover(key, held.Node, held.Token, reason, (long)heldFor.TotalMilliseconds, NextInLine);
        GrantNext(context);
    }

    private void OnClaim(IContext context, ClaimLock claim)
    {
        var owner = context.Sender ?? context.System.DeadLetters;
        if (_holder is { } holder && holder.Node == claim.Node && holder.Token == claim.Token)
        {
            // A new session of the holder's node takes the lock over from the old one.
            var previous = holder.Owner;
            holder.Owner = owner;
            context.Watch(owner);
            UnwatchIfUnused(context, previous);
            services.Log.Claimed(key, claim.Node, claim.Token, "moved to a new session");
            owner.Tell(new ClaimAccepted(key, claim.Token), context.Self);
            return;
        }

        // After a restart: a token this run never issued, for a key nobody holds yet.
        var issuedByThisRun = claim.Token >= services.Tokens.EpochStart && claim.Token <= services.Tokens.Last;
        if (_holder is null && _recovering && claim.Token > 0 && !issuedByThisRun)
        {
            services.Tokens.EnsureAbove(claim.Token);
            if (FindWaiter(claim.Node) is { } ownWait)
            {
                _waiters.Remove(ownWait);
                ownWait.Timeout?.Cancel();
                UnwatchIfUnused(context, ownWait.Owner);
            }

            _holder = new Holder(owner, claim.Node, claim.Token, null, services.Time.GetTimestamp());
            context.Watch(owner);
            ArmStallCheck(context, _holder);
            services.Log.Claimed(key, claim.Node, claim.Token, "recovered after a restart");
            owner.Tell(new ClaimAccepted(key, claim.Token), context.Self);
            return;
        }

        var reason = _holder is null
            ? (_recovering ? "token was issued after the restart and is no longer held" : "token is stale: the lock is free and the recovery period is over")
            : RefusalReason(claim.Node, claim.Token);
        services.Log.Refused(key, "claim", claim.Node, claim.Token, reason, _holder?.Node);
        owner.Tell(new ClaimRejected(key, claim.Token, reason, _holder?.Node), context.Self);
    }

    private void OnProgress(ReportProgress progress)
    {
        if (_holder is { } holder && holder.Node == progress.Node && holder.Token == progress.Token && progress.Bytes > holder.Bytes)
        {
            holder.Bytes = progress.Bytes;
            holder.LastProgressAt = services.Time.GetTimestamp();
        }
    }

    // Stalled-holder protection (opt-in): a holder whose transfer reports no progress for the
    // stall timeout is revoked, so a trickling transfer cannot hold every waiter hostage.
    private void ArmStallCheck(IContext context, Holder holder)
    {
        if (services.StallTimeout > TimeSpan.Zero)
        {
            holder.LastProgressAt = services.Time.GetTimestamp();
            holder.StallTimer = context.ScheduleTellOnce(services.StallTimeout, context.Self, new StallCheck(holder.Token));
        }
    }

    private void OnStallCheck(IContext context)
    {
        var holder = _holder!;
        var idle = services.Time.GetElapsedTime(holder.LastProgressAt);
        if (idle < services.StallTimeout)
        {
            holder.StallTimer = context.ScheduleTellOnce(services.StallTimeout - idle, context.Self, new StallCheck(holder.Token));
            return;
        }

        var reason = $"no transfer progress for {idle.TotalMilliseconds:0} ms ({holder.Bytes} bytes so far)";
        holder.Owner.Tell(new LockRevoked(key, holder.Token, reason), context.Self);
        ReleaseOnFailPath(context, reason);
    }

    private bool EndWait(IContext context, Func<Waiter, bool> match, string reason)
    {
        if (_waiters.FirstOrDefault(match) is not { } waiter)
        {
            return false;
        }

        _waiters.Remove(waiter);
        waiter.Timeout?.Cancel();
        UnwatchIfUnused(context, waiter.Owner);
        TellNotAcquired(context, waiter.Owner, waiter.Node, waiter.RequestId, reason);
        return true;
    }

    /// <summary>Ends a request without the lock: one <c>lock.not-acquired</c> event and one answer.</summary>
    private void TellNotAcquired(IContext context, ActorRef owner, string node, long requestId, string reason)
    {
        services.Log.NotAcquired(key, node, requestId, reason, _holder?.Node, _waiters.Count);
        owner.Tell(new LockNotAcquired(key, requestId, _holder?.Node, _waiters.Count, reason), context.Self);
    }

    private void OnStopped(IContext context)
    {
        // Only a failure or a shutdown stops a lock that is still in use: tell everyone, so no
        // holder keeps working under a lock that no longer exists and no waiter waits forever.
        if (_holder is not null || _waiters.Count > 0)
        {
            services.Log.ActorFailed(key, "stopped while in use");
            _holder?.Owner.Tell(new LockRevoked(key, _holder.Token, "the lock service stopped this lock"), context.Self);
            foreach (var waiter in _waiters)
            {
                waiter.Owner.Tell(new LockNotAcquired(key, waiter.RequestId, _holder?.Node, 0, "internal"), context.Self);
            }
        }

        services.Table.Remove(key);
    }

    private void Publish(IContext context)
    {
        if (_holder is null && _waiters.Count == 0)
        {
            services.Table.Remove(key);
            if (_idleReportedAt != _routedHandled && context.Parent is { } parent)
            {
                _idleReportedAt = _routedHandled;
                parent.Tell(new KeyIdle(key, _routedHandled), context.Self);
            }

            return;
        }

        services.Table.Set(new LockSnapshot(
            key, _holder?.Node, _holder?.Token ?? 0, _holder?.GrantedAt ?? 0, _waiters.Count == 0 ? [] : [.. _waiters.Select(w => w.Node)]));
    }

    private string RefusalReason(string node, long token) => _holder switch
    {
        null => "the lock is not held",
        { } h when h.Node != node => $"{node} is not the holder",
        _ => $"token {token} is stale",
    };

    private string? NextInLine => _recovering ? null : _waiters.First?.Value.Node;

    private Waiter? FindWaiter(string node) => _waiters.FirstOrDefault(w => w.Node == node);

    private int PositionOf(Waiter waiter)
    {
        var position = 1;
        for (var node = _waiters.First; node is not null && !ReferenceEquals(node.Value, waiter); node = node.Next)
        {
            position++;
        }

        return position;
    }

    private void UnwatchIfUnused(IContext context, ActorRef owner)
    {
        if (!ReferenceEquals(_holder?.Owner, owner) && !_waiters.Any(w => ReferenceEquals(w.Owner, owner)))
        {
            context.Unwatch(owner);
        }
    }

    private sealed class Holder(ActorRef owner, string node, long token, TimeSpan? ttl, long grantedAt)
    {
        public ActorRef Owner { get; set; } = owner;

        public string Node { get; } = node;

        public long Token { get; } = token;

        public TimeSpan? Ttl { get; } = ttl;

        public long GrantedAt { get; } = grantedAt;

        public ScheduledTell? Lease { get; set; }

        public ScheduledTell? StallTimer { get; set; }

        public long Bytes { get; set; }

        public long LastProgressAt { get; set; }
    }

    private sealed class Waiter(ActorRef owner, string node, long requestId, TimeSpan? ttl, long enqueuedAt)
    {
        public ActorRef Owner { get; set; } = owner;

        public string Node { get; } = node;

        public long RequestId { get; set; } = requestId;

        public TimeSpan? Ttl { get; set; } = ttl;

        public long EnqueuedAt { get; } = enqueuedAt;

        public ScheduledTell? Timeout { get; set; }
    }
}
