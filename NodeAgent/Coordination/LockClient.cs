using Akka.Actor;
using Akka.Remote;
using LayerLock.Messages.Agents;
using LayerLock.Messages.Locks;

namespace LayerLock.NodeAgent.Coordination;

/// <summary>
/// The agent's end of the Akka.Remote link: registers with the Coordinator's
/// <c>/user/lock-manager</c>, then sends its lock requests to the session actor the registration
/// names, with itself as the sender. Every request, grant, cancel, release and link event is
/// handled here, one at a time, so no interleaving can leave a lock that the Coordinator
/// believes this node holds and the node does not:
/// <list type="bullet">
/// <item>a grant for a request nobody waits for any more (cancelled, timed out) is handed back at
/// once on the fail path;</item>
/// <item>a cancel goes out after its request on the same ordered link, so it cannot overtake it;</item>
/// <item>every second the client tells its session what it holds (<see cref="ReconcileHeld"/>),
/// and the session releases what only the Coordinator believes in;</item>
/// <item>a release is reported done only when the Coordinator confirms it, or when a newer
/// session was registered without presenting that lock (which ended the old session and
/// released the lock on the fail path).</item>
/// </list>
/// The link is lost on <see cref="DisassociatedEvent"/> for the Coordinator's address or when
/// the session stops answering (<see cref="LinkAlive"/>) for <see cref="LockClientOptions.LinkTimeout"/>;
/// the client then re-registers with backoff and jitter, presenting the locks it still holds.
/// After <see cref="LockClientOptions.LeaseGrace"/> without a session they are given up.
/// </summary>
internal sealed partial class LockClient : UntypedActor, IWithTimers
{
    private const string RegisterTimer = "register";
    private const string HeartbeatTimer = "heartbeat";
    private const string LeaseGraceTimer = "lease-grace";
    private readonly LockClientOptions _options;
    private readonly LinkLog _log;
    private readonly Dictionary<long, PendingLock> _pending = [];
    private readonly Dictionary<string, LockLease> _held = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PendingRelease> _releases = new(StringComparer.Ordinal);
    private IReadOnlyList<string>? _layers;

    // Grants handed back on this session whose release is not confirmed yet: key → token.
    private readonly Dictionary<string, long> _handedBack = new(StringComparer.Ordinal);
    private readonly LinkState _state;
    private IActorRef? _session;
    private long _grantsSeen;
    private long _lastAlive;
    private int _attempt;
    private bool _registering;
    private string? _lockManagerPath;

    public LockClient(LockClientOptions options, LinkState state, LinkLog log)
    {
        _options = options;
        _state = state;
        _log = log;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(LockClientOptions options, LinkState state, LinkLog log) =>
        Akka.Actor.Props.Create(() => new LockClient(options, state, log));

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));
        Context.System.EventStream.Subscribe(Self, typeof(ThisActorSystemQuarantinedEvent));
        foreach (var lease in _state.TakeCarriedLeases())
        {
            _held[lease.Key] = lease;
            _state.PublishHeld(_held.Values);
        }

        Self.Tell(RegisterTick.Instance);
        Timers.StartPeriodicTimer(HeartbeatTimer, HeartbeatTick.Instance, _options.HeartbeatInterval);
    }

    protected override void PostStop()
    {
        // A new incarnation (after a quarantine) carries on with what this one held.
        _state.CarryLeases(_held.Values);
        foreach (var pending in _pending.Values)
        {
            pending.Granted.TrySetException(new LockNotAcquiredException(pending.Key, "interrupted", null, "the agent's link to the coordinator was restarted; ask again"));
        }

        foreach (var release in _releases.Values)
        {
            release.Done.TrySetException(new LockRefusedException(release.Key, "the agent's link to the coordinator was restarted before the release was confirmed"));
        }

        _state.SetDisconnected();
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case RegisterTick when _registering:
                Backoff($"no answer within {_options.RegisterTimeout.TotalMilliseconds:0} ms");
                break;
            case RegisterTick:
                Register();
                break;
            case Discovered discovered when _registering && _session is null:
                SendRegistration(discovered.LockManagerPath);
                break;
            case DiscoveryFailed failed when _registering && _session is null:
                Backoff(failed.Reason);
                break;
            case Discovered or DiscoveryFailed:
                break;
            case AgentRegistered registered:
                OnRegistered(registered);
                break;
            case RegistrationRefused refused when _session is null:
                _log.Refused(_options.Node, refused.Reason);
                Backoff(refused.Reason);
                break;
            case RegistrationRefused:
                break;
            case Acquire acquire:
                OnAcquire(acquire);
                break;
            case Cancel cancel:
                OnCancel(cancel);
                break;
            case Release release:
                OnRelease(release);
                break;
            case Progress progress when _session is not null && _held.TryGetValue(progress.Key, out var lease) && lease.Token == progress.Token:
                _session.Tell(new ReportProgress(progress.Key, _options.Node, progress.Token, progress.Bytes), Self);
                break;
            case Progress:
                break;
            case PeerGranted peer when Sender.Equals(_session):
                OnPeerGranted(peer);
                break;
            case PeerDone done:
                _session?.Tell(new PeerFetched(done.Key, _options.Node, done.Source, done.Success, done.Bytes, done.Error, done.Missing), Self);
                break;
            case Layers layers:
                _layers = layers.Digests;
                _session?.Tell(new AgentLayers(_layers), Self);
                break;
            case LockGranted granted when Sender.Equals(_session):
                OnGranted(granted);
                break;
            case LockQueued queued when Sender.Equals(_session) && _pending.TryGetValue(queued.RequestId, out var waiting):
                _log.Queued(queued.Key, _options.Node, queued.Position, queued.Holder);
                waiting.Progress?.Report(new LockQueuedProgress(queued.Key, queued.Position, queued.Holder));
                break;
            case LockNotAcquired notAcquired when Sender.Equals(_session) && _pending.Remove(notAcquired.RequestId, out var failed):
                failed.Granted.TrySetException(new LockNotAcquiredException(failed.Key, notAcquired.Reason, notAcquired.Holder,
                    $"lock not acquired ({notAcquired.Reason}); holder {notAcquired.Holder ?? "none"}, {notAcquired.Waiters} waiting"));
                break;
            case LockReleased released when Sender.Equals(_session) && _releases.TryGetValue(released.Key, out var release) && release.Token == released.Token:
                _releases.Remove(released.Key);
                release.Done.TrySetResult(new ReleaseConfirmation(released.Next, ViaFailPath: false));
                break;
            case LockReleased released when Sender.Equals(_session) && _handedBack.TryGetValue(released.Key, out var handedBack) && handedBack == released.Token:
                _handedBack.Remove(released.Key);
                break;
            case LockRefused refused when Sender.Equals(_session) && _releases.TryGetValue(refused.Key, out var release) && release.SentOnSession:
                _releases.Remove(refused.Key);
                release.Done.TrySetException(new LockRefusedException(refused.Key, refused.Reason));
                break;
            case LockRevoked revoked when _held.TryGetValue(revoked.Key, out var lease) && lease.Token == revoked.Token:
                _held.Remove(revoked.Key);
                _state.PublishHeld(_held.Values);
                _log.Lost(revoked.Key, revoked.Token, revoked.Reason);
                lease.MarkLost(revoked.Reason);
                break;
            case LinkAlive when Sender.Equals(_session):
                _lastAlive = Environment.TickCount64;
                break;
            case HeartbeatTick:
                OnHeartbeat();
                break;
            case DisassociatedEvent gone when _session is not null && gone.RemoteAddress.Equals(_session.Path.Address):
                LinkLost("the link to the coordinator closed (Akka.Remote disassociated)");
                break;
            case ThisActorSystemQuarantinedEvent quarantined:
                // This incarnation can never talk to the Coordinator again: the link starts a new
                // ActorSystem (a new UID) and a new client in it.
                _log.Quarantined(_options.Node, quarantined.RemoteAddress.ToString());
                _state.RequestRestart();
                break;
            case LeaseGraceEnded:
                OnLeaseGraceEnded();
                break;
            case DisassociatedEvent or LockQueued or LockNotAcquired or LockReleased or LockRefused or LockRevoked or LinkAlive:
                break; // from an older session, or about a request that is already settled
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnAcquire(Acquire acquire)
    {
        _pending[acquire.RequestId] = acquire.Lock;
        _log.Requested(acquire.Lock.Key, _options.Node, acquire.RequestId, (long)acquire.Lock.Wait.TotalMilliseconds);
        _session?.Tell(new AcquireLock(acquire.Lock.Key, _options.Node, acquire.RequestId, acquire.Lock.Wait, Registry: acquire.Lock.Registry, ExcludeSources: acquire.Lock.Exclude), Self);
    }

    private void OnPeerGranted(PeerGranted peer)
    {
        if (_pending.Remove(peer.RequestId, out var pending)
            && pending.Granted.TrySetResult(new LockLease(peer.Key, 0) { Source = new PeerSource(peer.Source, peer.Url) }))
        {
            _log.PeerGranted(peer.Key, _options.Node, peer.Source);
            return;
        }

        // Nobody waits for it any more: give the source's slot back at once.
        _session!.Tell(new PeerFetched(peer.Key, _options.Node, peer.Source, false, 0, "the requester gave up before the peer grant"), Self);
    }

    private void OnCancel(Cancel cancel)
    {
        if (_pending.Remove(cancel.RequestId, out var pending))
        {
            pending.Granted.TrySetCanceled();
            // Sent after the request on the same ordered link, so it cannot overtake it; a grant
            // already on its way is handed back when it arrives.
            _session?.Tell(new CancelWait(pending.Key, _options.Node, cancel.RequestId), Self);
        }
    }

    private void OnGranted(LockGranted granted)
    {
        _grantsSeen++;
        if (_handedBack.TryGetValue(granted.Key, out var handedBack) && handedBack == granted.Token)
        {
            // The grant just handed back, repeated for a newer request of this node (the
            // Coordinator answered it before the hand-back reached it): the hand-back releases
            // it, so the newer request is asked again — it arrives after the hand-back.
            if (_pending.TryGetValue(granted.RequestId, out var again))
            {
                _session!.Tell(new AcquireLock(again.Key, _options.Node, granted.RequestId, again.Wait, Registry: again.Registry, ExcludeSources: again.Exclude), Self);
            }

            return;
        }

        if (_pending.Remove(granted.RequestId, out var pending))
        {
            var lease = new LockLease(granted.Key, granted.Token);
            if (pending.Granted.TrySetResult(lease))
            {
                _held[granted.Key] = lease;
                _state.PublishHeld(_held.Values);
                _log.Acquired(granted.Key, _options.Node, granted.Token, (long)(DateTime.UtcNow - pending.RequestedAt).TotalMilliseconds);
                return;
            }
        }
        else if (_held.TryGetValue(granted.Key, out var existing) && existing.Token == granted.Token)
        {
            return; // the same grant again (the node asked again for a lock it holds)
        }

        // Nobody waits for this grant any more: hand it back at once, on the fail path.
        _log.HandedBack(granted.Key, granted.Token);
        _handedBack[granted.Key] = granted.Token;
        _session!.Tell(new ReleaseLock(granted.Key, _options.Node, granted.Token, false, "the requester gave up before the grant"), Self);
    }

    private void OnRelease(Release release)
    {
        var (key, token) = (release.Lease.Key, release.Lease.Token);
        // The Coordinator decides: a release of a lock this agent does not hold (or with another
        // token) goes out too, and its refusal comes back as the answer.
        if (_held.TryGetValue(key, out var lease) && lease.Token == token)
        {
            _held.Remove(key);
            _state.PublishHeld(_held.Values);
        }

        _log.Releasing(key, _options.Node, token, release.Success, release.Error);
        _releases[key] = new PendingRelease(key, token, release.Done) { SentOnSession = _session is not null };
        _session?.Tell(new ReleaseLock(key, _options.Node, token, release.Success, release.Error, release.RetryAfter, release.Bytes), Self);
    }

    /// <summary>The facade asks for a lock; <see cref="PendingLock.Granted"/> completes with the lease.</summary>
    internal sealed record Acquire(long RequestId, PendingLock Lock);

    /// <summary>The facade's caller gave up waiting for request <paramref name="RequestId"/>.</summary>
    internal sealed record Cancel(long RequestId);

    /// <summary>The facade releases a held lock; <paramref name="Done"/> completes when the release is confirmed.</summary>
    internal sealed record Release(LockLease Lease, bool Success, string? Error, TaskCompletionSource<ReleaseConfirmation> Done)
    {
        public TimeSpan? RetryAfter { get; init; }

        public long? Bytes { get; init; }
    }

    /// <summary>Bytes moved so far under a held lock (stalled-holder protection).</summary>
    internal sealed record Progress(string Key, long Token, long Bytes);

    /// <summary>A peer grant's transfer ended.</summary>
    internal sealed record PeerDone(string Key, string Source, bool Success, long Bytes, string? Error, bool Missing);

    /// <summary>Every layer this node has and serves to peers now (sent to the session, and to every later one).</summary>
    internal sealed record Layers(IReadOnlyList<string> Digests);

    private sealed class PendingRelease(string key, long token, TaskCompletionSource<ReleaseConfirmation> done)
    {
        public string Key { get; } = key;

        public long Token { get; } = token;

        public TaskCompletionSource<ReleaseConfirmation> Done { get; } = done;

        /// <summary>True once the unlock went out on the current session (a refusal on it is final).</summary>
        public bool SentOnSession { get; set; }
    }
}
