using Akka.Actor;
using LayerLock.Messages.Locks;

namespace LayerLock.Coordinator.Locks;

/// <summary>Granting, releasing, claims and the queue itself.</summary>
internal sealed partial class LayerLockActor
{
    private void Grant(IActorRef owner, string node, long requestId, TimeSpan? ttl, long requestedAt, string? registry)
    {
        var token = _services.Tokens.Next();
        var waited = _services.Time.GetElapsedTime(requestedAt);
        _holder = new Holder(owner, node, token, ttl, _services.Time.GetTimestamp()) { Registry = registry };
        if (ttl is { } lease)
        {
            Timers.StartSingleTimer(LeaseTimer, new LeaseExpired(token), lease);
        }

        Context.Watch(owner);
        ArmStallCheck(_holder);
        _services.Metrics.Granted(waited);
        _services.Log.Acquired(_key, node, token, (long)waited.TotalMilliseconds);
        owner.Tell(new LockGranted(_key, node, requestId, token, ttl), Self);
    }

    /// <summary>
    /// Sends every waiting layer request that a peer can serve now to that peer; then grants the lock
    /// to the head of the queue, if the key is free to grant and no peer will serve the head; returns
    /// the node granted the lock.
    /// </summary>
    private string? GrantNext()
    {
        ServeWaitersFromPeers();
        if (_holder is not null || _recovering || _waiters.First is not { } first)
        {
            return null;
        }

        var head = first.Value;
        if (head.Registry is not null && Sources(head.Node, head.Exclude).Count > 0)
        {
            // Someone has the layer but has no upload slot free: wait for one, not for the registry.
            Timers.StartSingleTimer(PeerSlotTimer, PeerSlotCheck.Instance, PeerSlotRetry);
            return null;
        }

        var paused = _services.Throttles.Remaining(head.Registry);
        if (paused > TimeSpan.Zero)
        {
            // The head's registry asked the fleet to wait: nobody behind it overtakes it (FIFO).
            _services.Throttles.CountDeferred();
            _services.Log.Deferred(_key, head.Node, head.Registry!, (long)paused.TotalMilliseconds);
            Timers.StartSingleTimer(ThrottleTimer, ThrottleEnded.Instance, paused + TimeSpan.FromMilliseconds(1));
            return null;
        }

        _waiters.RemoveFirst();
        CancelWaitTimer(head);
        _services.Log.Dequeued(_key, head.Node, (long)_services.Time.GetElapsedTime(head.EnqueuedAt).TotalMilliseconds);
        Grant(head.Owner, head.Node, head.RequestId, head.Ttl, head.EnqueuedAt, head.Registry);
        return head.Node;
    }

    /// <summary>The nodes that have this layer, other than <paramref name="node"/> and <paramref name="exclude"/>.</summary>
    private List<(string Node, string Url)> Sources(string node, IReadOnlyList<string>? exclude) =>
        [.. _services.Sources.Of(_key).Where(s => s.Node != node && exclude?.Contains(s.Node) != true)];

    /// <summary>Answers a layer request with a peer grant from the least busy source with a free upload slot; false if none has one.</summary>
    private bool TryPeerGrant(IActorRef owner, string node, long requestId, IReadOnlyList<string>? exclude)
    {
        foreach (var (source, url) in Sources(node, exclude).OrderBy(s => _services.Uploads.Active(s.Node)))
        {
            if (_services.Uploads.TryTake(source, _key, node))
            {
                _peerFetches.Add(new PeerFetch(owner, node, source));
                Context.Watch(owner);
                _services.Log.PeerGranted(_key, node, source, _services.Uploads.Active(source));
                owner.Tell(new PeerGranted(_key, requestId, source, url), Self);
                return true;
            }
        }

        return false;
    }

    private void ServeWaitersFromPeers()
    {
        for (var entry = _waiters.First; entry is not null;)
        {
            var next = entry.Next;
            var waiter = entry.Value;
            if (waiter.Registry is not null && TryPeerGrant(waiter.Owner, waiter.Node, waiter.RequestId, waiter.Exclude))
            {
                _waiters.Remove(entry);
                CancelWaitTimer(waiter);
            }

            entry = next;
        }
    }

    private void OnPeerFetched(PeerFetched fetched)
    {
        var fetch = _peerFetches.FirstOrDefault(f => f.Node == fetched.Node && f.Source == fetched.Source);
        if (fetch is null)
        {
            return; // already given back (its session ended first)
        }

        _peerFetches.Remove(fetch);
        _services.Uploads.Give(fetch.Source, _key, fetch.Node);
        UnwatchIfUnused(fetch.Owner);
        _services.Metrics.PeerFetched(fetched.Success, fetched.Bytes);
        _services.Log.PeerFetched(_key, fetched.Node, fetched.Source, fetched.Success, fetched.Bytes, fetched.Error);
        if (fetched.Missing)
        {
            // The source's containerd no longer has the layer: stop naming it.
            _services.Sources.Remove(fetched.Source, _key);
        }

        // A slot is free, and with success the fetcher is a source now too.
        GrantNext();
    }

    private (Holder Held, TimeSpan HeldFor) TakeHolder()
    {
        var held = _holder!;
        _holder = null;
        Timers.Cancel(LeaseTimer);
        Timers.Cancel(StallTimer);
        Timers.Cancel(RateTimer);
        UnwatchIfUnused(held.Owner);
        return (held, _services.Time.GetElapsedTime(held.GrantedAt));
    }

    /// <summary>The same path as an unlock with success=false, for a holder that died or let its lease lapse.</summary>
    private void ReleaseOnFailPath(string reason)
    {
        var (held, heldFor) = TakeHolder();
        _services.Metrics.Released(ReleaseOutcome.Failover, heldFor);
        _services.Log.Failover(_key, held.Node, held.Token, reason, (long)heldFor.TotalMilliseconds, NextInLine);
        GrantNext();
    }

    private void OnClaim(ClaimLock claim)
    {
        var owner = Owner;
        if (_holder is { } holder && holder.Node == claim.Node && holder.Token == claim.Token)
        {
            // A new session of the holder's node takes the lock over from the old one.
            var previous = holder.Owner;
            holder.Owner = owner;
            Context.Watch(owner);
            UnwatchIfUnused(previous);
            _services.Log.Claimed(_key, claim.Node, claim.Token, "moved to a new session");
            owner.Tell(new ClaimAccepted(_key, claim.Token), Self);
            return;
        }

        // After a restart: a token this run never issued, for a key nobody holds yet.
        var issuedByThisRun = claim.Token >= _services.Tokens.EpochStart && claim.Token <= _services.Tokens.Last;
        if (_holder is null && _recovering && claim.Token > 0 && !issuedByThisRun)
        {
            _services.Tokens.EnsureAbove(claim.Token);
            if (FindWaiter(claim.Node) is { } ownWait)
            {
                _waiters.Remove(ownWait);
                CancelWaitTimer(ownWait);
                UnwatchIfUnused(ownWait.Owner);
            }

            _holder = new Holder(owner, claim.Node, claim.Token, null, _services.Time.GetTimestamp());
            Context.Watch(owner);
            ArmStallCheck(_holder);
            _services.Log.Claimed(_key, claim.Node, claim.Token, "recovered after a restart");
            owner.Tell(new ClaimAccepted(_key, claim.Token), Self);
            return;
        }

        var reason = _holder is null
            ? (_recovering ? "token was issued after the restart and is no longer held" : "token is stale: the lock is free and the recovery period is over")
            : RefusalReason(claim.Node, claim.Token);
        _services.Log.Refused(_key, "claim", claim.Node, claim.Token, reason, _holder?.Node);
        owner.Tell(new ClaimRejected(_key, claim.Token, reason, _holder?.Node), Self);
    }

    private void OnProgress(ReportProgress progress)
    {
        if (_holder is { } holder && holder.Node == progress.Node && holder.Token == progress.Token && progress.Bytes > holder.Bytes)
        {
            holder.Bytes = progress.Bytes;
            holder.LastProgressAt = _services.Time.GetTimestamp();
            if (holder.WindowStartAt == 0 && _services.RateFloor.IsOn)
            {
                // The first report starts the first window: only holders that report are judged.
                StartRateWindow(holder);
            }
        }
    }

    private void StartRateWindow(Holder holder)
    {
        holder.WindowStartAt = _services.Time.GetTimestamp();
        holder.WindowStartBytes = holder.Bytes;
        Timers.StartSingleTimer(RateTimer, new RateCheck(holder.Token), _services.RateFloor.Window);
    }

    // Trickling-holder protection (on by default): a transfer that moves, but slower than the floor
    // for a whole window, loses the lock — progress alone does not keep it.
    private void OnRateCheck()
    {
        var holder = _holder!;
        var floor = _services.RateFloor;
        var elapsed = _services.Time.GetElapsedTime(holder.WindowStartAt);
        var rate = (holder.Bytes - holder.WindowStartBytes) / Math.Max(elapsed.TotalSeconds, 0.001);
        if (rate >= floor.BytesPerSecond)
        {
            StartRateWindow(holder);
            return;
        }

        var reason = $"transfer rate {RateFloor.Format(rate)} over the last {elapsed.TotalSeconds:0.#} s is below the floor of {RateFloor.Format(floor.BytesPerSecond)} ({holder.Bytes} bytes so far)";
        holder.Owner.Tell(new LockRevoked(_key, holder.Token, reason), Self);
        ReleaseOnFailPath(reason);
    }

    // Stalled-holder protection (opt-in): a holder whose transfer reports no progress for the
    // stall timeout is revoked, so a trickling transfer cannot hold every waiter hostage.
    private void ArmStallCheck(Holder holder)
    {
        if (_services.StallTimeout > TimeSpan.Zero)
        {
            holder.LastProgressAt = _services.Time.GetTimestamp();
            Timers.StartSingleTimer(StallTimer, new StallCheck(holder.Token), _services.StallTimeout);
        }
    }

    private void OnStallCheck()
    {
        var holder = _holder!;
        var idle = _services.Time.GetElapsedTime(holder.LastProgressAt);
        if (idle < _services.StallTimeout)
        {
            Timers.StartSingleTimer(StallTimer, new StallCheck(holder.Token), _services.StallTimeout - idle);
            return;
        }

        var reason = $"no transfer progress for {idle.TotalMilliseconds:0} ms ({holder.Bytes} bytes so far)";
        holder.Owner.Tell(new LockRevoked(_key, holder.Token, reason), Self);
        ReleaseOnFailPath(reason);
    }

    private bool EndWait(Func<Waiter, bool> match, string reason)
    {
        if (_waiters.FirstOrDefault(match) is not { } waiter)
        {
            return false;
        }

        _waiters.Remove(waiter);
        CancelWaitTimer(waiter);
        UnwatchIfUnused(waiter.Owner);
        TellNotAcquired(waiter.Owner, waiter.Node, waiter.RequestId, reason);

        // A free key holds waiters only while its head's registry is paused: the next may go now.
        GrantNext();
        return true;
    }

    /// <summary>Ends a request without the lock: one <c>lock.not-acquired</c> event and one answer.</summary>
    private void TellNotAcquired(IActorRef owner, string node, long requestId, string reason)
    {
        _services.Log.NotAcquired(_key, node, requestId, reason, _holder?.Node, _waiters.Count);
        owner.Tell(new LockNotAcquired(_key, requestId, _holder?.Node, _waiters.Count, reason), Self);
    }

    private void Publish()
    {
        if (_holder is null && _waiters.Count == 0)
        {
            // Not a lock any more (GET /locks); but a key with peer transfers under way keeps its
            // actor, which gives their upload slots back (GET /layers shows them).
            _services.Table.Remove(_key);
            if (_peerFetches.Count == 0 && _idleReportedAt != _routedHandled && Context.Parent is { } parent)
            {
                _idleReportedAt = _routedHandled;
                parent.Tell(new KeyIdle(_key, _routedHandled), Self);
            }

            return;
        }

        _services.Table.Set(new LockSnapshot(
            _key, _holder?.Node, _holder?.Token ?? 0, _holder?.GrantedAt ?? 0, _waiters.Count == 0 ? [] : [.. _waiters.Select(w => w.Node)])
        {
            WaitingSince = _waiters.Count == 0 ? [] : [.. _waiters.Select(w => w.EnqueuedAt)],
        });
    }

    private void StartWaitTimer(Waiter waiter, TimeSpan wait)
    {
        var expiry = new WaitExpired(waiter.Node, waiter.RequestId);
        Timers.StartSingleTimer(expiry, expiry, wait);
    }

    private void CancelWaitTimer(Waiter waiter) => Timers.Cancel(new WaitExpired(waiter.Node, waiter.RequestId));

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

    private void UnwatchIfUnused(IActorRef owner)
    {
        if (_holder?.Owner.Equals(owner) != true && !_waiters.Any(w => w.Owner.Equals(owner)) && !_peerFetches.Any(f => f.Owner.Equals(owner)))
        {
            Context.Unwatch(owner);
        }
    }

    private sealed class Holder(IActorRef owner, string node, long token, TimeSpan? ttl, long grantedAt)
    {
        public IActorRef Owner { get; set; } = owner;

        public string Node { get; } = node;

        public long Token { get; } = token;

        public TimeSpan? Ttl { get; } = ttl;

        public long GrantedAt { get; } = grantedAt;

        public long Bytes { get; set; }

        public long LastProgressAt { get; set; }

        /// <summary>When the current rate window began (a timestamp); 0 = no progress reported yet.</summary>
        public long WindowStartAt { get; set; }

        public long WindowStartBytes { get; set; }

        /// <summary>The upstream registry the holder fetches from (<see cref="AcquireLock.Registry"/>).</summary>
        public string? Registry { get; init; }
    }

    private sealed class Waiter(IActorRef owner, string node, long requestId, TimeSpan? ttl, long enqueuedAt)
    {
        public IActorRef Owner { get; set; } = owner;

        public string Node { get; } = node;

        public long RequestId { get; set; } = requestId;

        public TimeSpan? Ttl { get; set; } = ttl;

        public long EnqueuedAt { get; } = enqueuedAt;

        public string? Registry { get; set; }

        public IReadOnlyList<string>? Exclude { get; set; }
    }

    /// <summary>A peer grant not yet reported: <paramref name="Node"/> fetches from <paramref name="Source"/>.</summary>
    private sealed record PeerFetch(IActorRef Owner, string Node, string Source);
}
