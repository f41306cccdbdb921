using Akka.Actor;
using LayerLock.Messages.Locks;

namespace LayerLock.Coordinator.Locks;

/// <summary>
/// The lock of one key: a holder and a FIFO queue of waiters. Grants strictly in arrival order,
/// each grant with a fresh fencing token. Watches the owner (agent session, HTTP request) of the
/// holder and of each waiter: the holder's <see cref="Terminated"/> releases on the fail path, a
/// waiter's removes it from the queue.
/// </summary>
internal sealed partial class LayerLockActor : UntypedActor, IWithTimers
{
    private const string LeaseTimer = "lease";
    private const string StallTimer = "stall";
    private const string RateTimer = "rate";
    private const string ThrottleTimer = "throttle";
    private const string PeerSlotTimer = "peer-slot";

    // How often waiters that only wait for a peer's upload slot look again (slots freed on other keys).
    private static readonly TimeSpan PeerSlotRetry = TimeSpan.FromMilliseconds(250);

    // Peer transfers granted for this key and not yet reported: who fetches, from whom.
    private readonly List<PeerFetch> _peerFetches = [];
    private readonly LinkedList<Waiter> _waiters = new();
    private readonly string _key;
    private readonly LockServices _services;
    private Holder? _holder;
    private bool _recovering;
    private long _routedHandled;
    private long _idleReportedAt = -1;

    public LayerLockActor(string key, LockServices services, bool recovering)
    {
        _key = key;
        _services = services;
        _recovering = recovering;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for the lock of <paramref name="key"/>, on the compact <see cref="KeyMailbox"/> (its config must be in the ActorSystem: <see cref="KeyMailbox.Ensure"/>).</summary>
    public static Props Props(string key, LockServices services, bool recovering) =>
        Akka.Actor.Props.Create(() => new LayerLockActor(key, services, recovering)).WithMailbox(KeyMailbox.Id);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case AcquireLock acquire:
                _routedHandled++;
                OnAcquire(acquire);
                break;
            case ReleaseLock release:
                _routedHandled++;
                OnRelease(release);
                break;
            case CancelWait cancel:
                _routedHandled++;
                OnCancel(cancel);
                break;
            case KeepLockAlive keepAlive:
                _routedHandled++;
                OnKeepAlive(keepAlive);
                break;
            case ClaimLock claim:
                _routedHandled++;
                OnClaim(claim);
                break;
            case ReportProgress progress:
                _routedHandled++;
                OnProgress(progress);
                break;
            case StallCheck check when _holder?.Token == check.Token:
                OnStallCheck();
                break;
            case RateCheck check when _holder?.Token == check.Token:
                OnRateCheck();
                break;
            case ThrottleEnded or PeerSlotCheck:
                GrantNext();
                break;
            case PeerFetched fetched:
                _routedHandled++;
                OnPeerFetched(fetched);
                break;
            case RecoveryEnded:
                _routedHandled++;
                _recovering = false;
                if (_holder is null)
                {
                    GrantNext();
                }

                break;
            case WaitExpired expired:
                EndWait(w => w.Node == expired.Node && w.RequestId == expired.RequestId, "timeout");
                break;
            // A renewal restarts the keyed lease timer, and Akka drops a timer message whose timer
            // was restarted or cancelled even if it was already queued, so an expiry here is current.
            case LeaseExpired lease when _holder?.Token == lease.Token:
                _holder.Owner.Tell(new LockRevoked(_key, lease.Token, "lease expired"), Self);
                ReleaseOnFailPath("lease expired without keepalive");
                break;
            case Terminated terminated:
                OnOwnerTerminated(terminated);
                break;
        }

        Publish();
    }

    private void OnAcquire(AcquireLock request)
    {
        _services.Log.Requested(_key, request.Node, request.RequestId, (long)request.Wait.TotalMilliseconds);
        var owner = Owner;
        if (_holder is { } holder && holder.Node == request.Node)
        {
            // Asking again for a lock it holds: the same grant, not a second one.
            owner.Tell(new LockGranted(_key, holder.Node, request.RequestId, holder.Token, holder.Ttl), Self);
            return;
        }

        if (FindWaiter(request.Node) is { } queued)
        {
            Requeue(queued, owner, request);
            return;
        }

        // Someone has the layer: fetch it from them, no lock, no queue behind the upstream holder.
        if (request.Registry is not null && TryPeerGrant(owner, request.Node, request.RequestId, request.ExcludeSources))
        {
            return;
        }

        // Sources that only lack a free upload slot: wait for one, not for the registry.
        var paused = _services.Throttles.Remaining(request.Registry);
        var peersBusy = request.Registry is not null && Sources(request.Node, request.ExcludeSources).Count > 0;
        if (_holder is null && !_recovering && _waiters.Count == 0 && paused <= TimeSpan.Zero && !peersBusy)
        {
            Grant(owner, request.Node, request.RequestId, request.Ttl, _services.Time.GetTimestamp(), request.Registry);
            return;
        }

        if (request.Wait <= TimeSpan.Zero)
        {
            var reason = _holder is null && _recovering ? "recovering" : _holder is null && paused > TimeSpan.Zero ? $"registry {request.Registry} is rate-limited" : _holder is null && peersBusy ? "every peer that has it is busy" : "busy";
            TellNotAcquired(owner, request.Node, request.RequestId, reason);
            return;
        }

        var waiter = new Waiter(owner, request.Node, request.RequestId, request.Ttl, _services.Time.GetTimestamp()) { Registry = request.Registry, Exclude = request.ExcludeSources };
        StartWaitTimer(waiter, request.Wait);
        _waiters.AddLast(waiter);
        Context.Watch(owner);
        _services.Log.Queued(_key, request.Node, _waiters.Count, _holder?.Node);
        owner.Tell(new LockQueued(_key, request.RequestId, _waiters.Count, _holder?.Node), Self);
        if (_holder is null && !_recovering && _waiters.Count == 1)
        {
            // Free, but its registry asked the fleet to wait, or its peers are busy: granted when that ends.
            GrantNext();
        }
    }

    // The same node asking again keeps its place; the newer request takes over the wait.
    private void Requeue(Waiter waiter, IActorRef owner, AcquireLock request)
    {
        var previousOwner = waiter.Owner;
        if (waiter.RequestId != request.RequestId || !previousOwner.Equals(owner))
        {
            TellNotAcquired(previousOwner, waiter.Node, waiter.RequestId, "superseded");
        }

        CancelWaitTimer(waiter);
        waiter.Owner = owner;
        waiter.RequestId = request.RequestId;
        waiter.Ttl = request.Ttl;
        waiter.Registry = request.Registry;
        waiter.Exclude = request.ExcludeSources;
        if (request.Wait > TimeSpan.Zero)
        {
            StartWaitTimer(waiter, request.Wait);
        }

        Context.Watch(owner);
        UnwatchIfUnused(previousOwner);
        var position = PositionOf(waiter);
        _services.Log.Queued(_key, request.Node, position, _holder?.Node);
        owner.Tell(new LockQueued(_key, request.RequestId, position, _holder?.Node), Self);
    }

    private void OnRelease(ReleaseLock release)
    {
        var owner = Owner;
        if (_holder is null || _holder.Node != release.Node || _holder.Token != release.Token)
        {
            var reason = RefusalReason(release.Node, release.Token);
            _services.Log.Refused(_key, "unlock", release.Node, release.Token, reason, _holder?.Node);
            owner.Tell(new LockRefused(_key, reason, _holder?.Node), Self);
            return;
        }

        var (held, heldFor) = TakeHolder();
        if (release.RetryAfter is { } retryAfter && held.Registry is { } registry)
        {
            var pause = _services.Throttles.Pause(registry, retryAfter);
            _services.Log.Throttled(registry, held.Node, _key, (long)pause.TotalMilliseconds);
        }

        var outcome = release.Success ? ReleaseOutcome.Success : ReleaseOutcome.Failure;
        _services.Metrics.Released(outcome, heldFor, release.Bytes);
        var next = NextInLine;
        _services.Log.Released(_key, held.Node, held.Token, release.Success, release.Error, (long)heldFor.TotalMilliseconds, next);
        GrantNext();
        owner.Tell(new LockReleased(_key, held.Token, next), Self);
    }

    private void OnCancel(CancelWait cancel)
    {
        if (!EndWait(w => w.Node == cancel.Node && w.RequestId == cancel.RequestId, "cancelled"))
        {
            Owner.Tell(new LockRefused(_key, $"request {cancel.RequestId} of {cancel.Node} is not waiting", _holder?.Node), Self);
        }
    }

    private void OnKeepAlive(KeepLockAlive keepAlive)
    {
        var owner = Owner;
        if (_holder is null || _holder.Node != keepAlive.Node || _holder.Token != keepAlive.Token)
        {
            var reason = RefusalReason(keepAlive.Node, keepAlive.Token);
            _services.Log.Refused(_key, "keepalive", keepAlive.Node, keepAlive.Token, reason, _holder?.Node);
            owner.Tell(new LockRefused(_key, reason, _holder?.Node), Self);
            return;
        }

        var ttl = _holder.Ttl ?? TimeSpan.Zero;
        if (_holder.Ttl is { } lease)
        {
            Timers.StartSingleTimer(LeaseTimer, new LeaseExpired(_holder.Token), lease);
        }

        _services.Log.KeptAlive(_key, _holder.Node, _holder.Token, (long)ttl.TotalMilliseconds);
        owner.Tell(new LockKeptAlive(_key, _holder.Token, ttl), Self);
    }

    private void OnOwnerTerminated(Terminated terminated)
    {
        // Waiters of the dead owner leave first, so the fail-path release below cannot hand the
        // lock to another request of that same owner.
        var owner = terminated.ActorRef;
        var why = _services.EndReasons.Of(terminated);
        while (_waiters.FirstOrDefault(w => w.Owner.Equals(owner)) is { } gone)
        {
            _waiters.Remove(gone);
            CancelWaitTimer(gone);
            _services.Log.NotAcquired(_key, gone.Node, gone.RequestId, $"waiter's connection ended: {why}", _holder?.Node, _waiters.Count);
        }

        // A fetcher that died gives its source's upload slot back.
        foreach (var fetch in _peerFetches.Where(f => f.Owner.Equals(owner)).ToList())
        {
            _peerFetches.Remove(fetch);
            _services.Uploads.Give(fetch.Source, _key, fetch.Node);
        }

        if (_holder?.Owner.Equals(owner) == true)
        {
            ReleaseOnFailPath($"holder's connection ended: {why}");
        }
        else
        {
            GrantNext();
        }
    }

    protected override void PostStop()
    {
        foreach (var fetch in _peerFetches)
        {
            _services.Uploads.Give(fetch.Source, _key, fetch.Node);
        }

        // Only a failure or a shutdown stops a lock that is still in use: tell everyone, so no
        // holder keeps working under a lock that no longer exists and no waiter waits forever.
        if (_holder is not null || _waiters.Count > 0)
        {
            if (CoordinatedShutdown.Get(Context.System).ShutdownReason is not null)
            {
                // The Coordinator stopping is no failure: one line per key at Debug, and the
                // lock manager's one summary (tens of thousands of held keys, one line).
                _services.Log.StoppedInUse(_key, _holder?.Node, _waiters.Count);
                _services.CountEndedAtStop();
            }
            else
            {
                _services.Log.ActorFailed(_key, "stopped while in use");
            }

            _holder?.Owner.Tell(new LockRevoked(_key, _holder.Token, "the lock service stopped this lock"), Self);
            foreach (var waiter in _waiters)
            {
                waiter.Owner.Tell(new LockNotAcquired(_key, waiter.RequestId, _holder?.Node, 0, "internal"), Self);
            }
        }

        _services.Table.Remove(_key);
    }

    /// <summary>The sender of the current message: the owner of what it asks for.</summary>
    private IActorRef Owner => Sender ?? Context.System.DeadLetters;
}
