using LayerLock.Actors;
using LayerLock.Messages.Locks;

namespace LayerLock.Coordinator.Locks;

/// <summary>
/// The lock of one key: a holder and a FIFO queue of waiters. Grants strictly in arrival order,
/// each grant with a fresh fencing token. Watches the owner (session) of the holder and of each
/// waiter: the holder's <see cref="Terminated"/> releases on the fail path, a waiter's removes it.
/// </summary>
internal sealed partial class LayerLockActor(string key, LockServices services, bool recovering) : IActor
{
    private readonly LinkedList<Waiter> _waiters = new();
    private Holder? _holder;
    private bool _recovering = recovering;
    private long _routedHandled;
    private long _idleReportedAt = -1;

    public Task ReceiveAsync(IContext context)
    {
        switch (context.Message)
        {
            case AcquireLock acquire:
                _routedHandled++;
                OnAcquire(context, acquire);
                break;
            case ReleaseLock release:
                _routedHandled++;
                OnRelease(context, release);
                break;
            case CancelWait cancel:
                _routedHandled++;
                OnCancel(context, cancel);
                break;
            case KeepLockAlive keepAlive:
                _routedHandled++;
                OnKeepAlive(context, keepAlive);
                break;
            case ClaimLock claim:
                _routedHandled++;
                OnClaim(context, claim);
                break;
            case ReportProgress progress:
                _routedHandled++;
                OnProgress(progress);
                break;
            case StallCheck check when _holder?.Token == check.Token:
                OnStallCheck(context);
                break;
            case RecoveryEnded:
                _routedHandled++;
                _recovering = false;
                if (_holder is null)
                {
                    GrantNext(context);
                }

                break;
            case WaitExpired expired:
                EndWait(context, w => w.Node == expired.Node && w.RequestId == expired.RequestId, "timeout");
                break;
            // A renewal that overtook an expiry already in the mailbox armed a new, pending lease
            // timer: that expiry is stale.
            case LeaseExpired lease when _holder?.Token == lease.Token && _holder.Lease?.IsDone != false:
                _holder.Owner.Tell(new LockRevoked(key, lease.Token, "lease expired"), context.Self);
                ReleaseOnFailPath(context, "lease expired without keepalive");
                break;
            case Terminated terminated:
                OnOwnerTerminated(context, terminated);
                break;
            case Stopped:
                OnStopped(context);
                return Task.CompletedTask;
        }

        Publish(context);
        return Task.CompletedTask;
    }

    private void OnAcquire(IContext context, AcquireLock request)
    {
        services.Log.Requested(key, request.Node, request.RequestId, (long)request.Wait.TotalMilliseconds);
        var owner = context.Sender ?? context.System.DeadLetters;
        if (_holder is { } holder && holder.Node == request.Node)
        {
            // Asking again for a lock it holds: the same grant, not a second one.
            owner.Tell(new LockGranted(key, holder.Node, request.RequestId, holder.Token, holder.Ttl), context.Self);
            return;
        }

        if (FindWaiter(request.Node) is { } queued)
        {
            Requeue(context, queued, owner, request);
            return;
        }

        if (_holder is null && !_recovering && _waiters.Count == 0)
        {
            Grant(context, owner, request.Node, request.RequestId, request.Ttl, services.Time.GetTimestamp());
            return;
        }

        if (request.Wait <= TimeSpan.Zero)
        {
            var reason = _holder is null && _recovering ? "recovering" : "busy";
            TellNotAcquired(context, owner, request.Node, request.RequestId, reason);
            return;
        }

        var waiter = new Waiter(owner, request.Node, request.RequestId, request.Ttl, services.Time.GetTimestamp());
        waiter.Timeout = context.ScheduleTellOnce(request.Wait, context.Self, new WaitExpired(request.Node, request.RequestId));
        _waiters.AddLast(waiter);
        context.Watch(owner);
        services.Log.Queued(key, request.Node, _waiters.Count, _holder?.Node);
        owner.Tell(new LockQueued(key, request.RequestId, _waiters.Count, _holder?.Node), context.Self);
    }

    // The same node asking again keeps its place; the newer request takes over the wait.
    private void Requeue(IContext context, Waiter waiter, ActorRef owner, AcquireLock request)
    {
        var previousOwner = waiter.Owner;
        if (waiter.RequestId != request.RequestId || !ReferenceEquals(previousOwner, owner))
        {
            TellNotAcquired(context, previousOwner, waiter.Node, waiter.RequestId, "superseded");
        }

        waiter.Owner = owner;
        waiter.RequestId = request.RequestId;
        waiter.Ttl = request.Ttl;
        waiter.Timeout?.Cancel();
        waiter.Timeout = request.Wait > TimeSpan.Zero
            ? context.ScheduleTellOnce(request.Wait, context.Self, new WaitExpired(request.Node, request.RequestId))
            : null;
        context.Watch(owner);
        UnwatchIfUnused(context, previousOwner);
        var position = PositionOf(waiter);
        services.Log.Queued(key, request.Node, position, _holder?.Node);
        owner.Tell(new LockQueued(key, request.RequestId, position, _holder?.Node), context.Self);
    }

    private void OnRelease(IContext context, ReleaseLock release)
    {
        var owner = context.Sender ?? context.System.DeadLetters;
        if (_holder is null || _holder.Node != release.Node || _holder.Token != release.Token)
        {
            var reason = RefusalReason(release.Node, release.Token);
            services.Log.Refused(key, "unlock", release.Node, release.Token, reason, _holder?.Node);
            owner.Tell(new LockRefused(key, reason, _holder?.Node), context.Self);
            return;
        }

        var (held, heldFor) = TakeHolder(context);
        var outcome = release.Success ? ReleaseOutcome.Success : ReleaseOutcome.Failure;
        services.Metrics.Released(outcome, heldFor);
        var next = NextInLine;
        services.Log.Released(key, held.Node, held.Token, release.Success, release.Error, (long)heldFor.TotalMilliseconds, next);
        GrantNext(context);
        owner.Tell(new LockReleased(key, held.Token, next), context.Self);
    }

    private void OnCancel(IContext context, CancelWait cancel)
    {
        if (!EndWait(context, w => w.Node == cancel.Node && w.RequestId == cancel.RequestId, "cancelled"))
        {
            (context.Sender ?? context.System.DeadLetters).Tell(
                new LockRefused(key, $"request {cancel.RequestId} of {cancel.Node} is not waiting", _holder?.Node), context.Self);
        }
    }

    private void OnKeepAlive(IContext context, KeepLockAlive keepAlive)
    {
        var owner = context.Sender ?? context.System.DeadLetters;
        if (_holder is null || _holder.Node != keepAlive.Node || _holder.Token != keepAlive.Token)
        {
            var reason = RefusalReason(keepAlive.Node, keepAlive.Token);
            services.Log.Refused(key, "keepalive", keepAlive.Node, keepAlive.Token, reason, _holder?.Node);
            owner.Tell(new LockRefused(key, reason, _holder?.Node), context.Self);
            return;
        }

        var ttl = _holder.Ttl ?? TimeSpan.Zero;
        if (_holder.Ttl is { } lease)
        {
            _holder.Lease?.Cancel();
            _holder.Lease = context.ScheduleTellOnce(lease, context.Self, new LeaseExpired(_holder.Token));
        }

        services.Log.KeptAlive(key, _holder.Node, _holder.Token, (long)ttl.TotalMilliseconds);
        owner.Tell(new LockKeptAlive(key, _holder.Token, ttl), context.Self);
    }

    private void OnOwnerTerminated(IContext context, Terminated terminated)
    {
        // Waiters of the dead owner leave first, so the fail-path release below cannot hand the
        // lock to another request of that same owner.
        var owner = terminated.Actor;
        while (_waiters.FirstOrDefault(w => ReferenceEquals(w.Owner, owner)) is { } gone)
        {
            _waiters.Remove(gone);
            gone.Timeout?.Cancel();
            services.Log.NotAcquired(key, gone.Node, gone.RequestId, $"waiter's connection ended: {terminated.Reason}", _holder?.Node, _waiters.Count);
        }

        if (ReferenceEquals(_holder?.Owner, owner))
        {
            ReleaseOnFailPath(context, $"holder's connection ended: {terminated.Reason}");
        }
    }
}
