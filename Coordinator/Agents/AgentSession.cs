using Akka.Actor;
using Akka.Remote;
using LayerLock.Coordinator.Locks;
using LayerLock.Messages.Agents;
using LayerLock.Messages.Locks;

namespace LayerLock.Coordinator.Agents;

/// <summary>
/// One registered agent incarnation (node id + the agent ActorSystem's address and UID), and the
/// owner of every lock that agent holds or waits for: lock actors watch the session, not the
/// remote actor. The session ends — and each lock actor watching it takes the fail path — on the
/// first of:
/// <list type="bullet">
/// <item>Akka.Remote reports the agent's association gone (<see cref="DisassociatedEvent"/>: a
/// killed process is seen in tens of milliseconds, DESIGN.md "Akka.Remote facts");</item>
/// <item><see cref="Terminated"/> of the agent's <c>LockClient</c> (remote DeathWatch: a stopped
/// actor, or a silent network cut after the watch failure detector's pause, 3 s by default);</item>
/// <item>a newer session of the same node (<see cref="EndSession"/> from the <see cref="AgentDirectory"/>), after
/// that session has claimed the locks the agent still holds.</item>
/// </list>
/// </summary>
internal sealed class AgentSession : UntypedActor, IWithTimers
{
    private static readonly TimeSpan ClaimTimeout = TimeSpan.FromSeconds(5);

    // The most layers one agent report may name: far above any node's image store, bounded so a
    // report cannot grow the Coordinator without limit.
    private const int MaxLayers = 100_000;
    private readonly string _node;
    private readonly string _name;
    private readonly IActorRef _agent;
    private readonly IActorRef _manager;
    private readonly LockServices _services;
    private readonly AgentLog _log;
    private readonly string? _peerUrl;
    private readonly Dictionary<string, HeldLock> _claiming = new(StringComparer.Ordinal);
    private readonly List<HeldLock> _claimed = [];
    private readonly List<RejectedClaim> _rejected = [];

    // What the Coordinator believes this agent holds: key → (token, ordinal of the grant among
    // the grants sent to the agent on this session; 0 = claimed at registration).
    private readonly Dictionary<string, (long Token, long Ordinal)> _held = new(StringComparer.Ordinal);
    private long _grantsSent;
    private bool _open;
    private string? _endReason;

    /// <param name="peerUrl">Where the agent serves its layers to peers; null = none (its layers are not tracked).</param>
    public AgentSession(string node, string name, IActorRef agent, IReadOnlyList<HeldLock> held, IActorRef manager, LockServices services, string? peerUrl)
    {
        _peerUrl = peerUrl;
        _node = node;
        _name = name;
        _agent = agent;
        _manager = manager;
        _services = services;
        _log = services.AgentLog;
        foreach (var claim in held)
        {
            _claiming.TryAdd(claim.Key, claim);
        }
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string node, string name, IActorRef agent, IReadOnlyList<HeldLock> held, IActorRef manager, LockServices services, string? peerUrl = null) =>
        Akka.Actor.Props.Create(() => new AgentSession(node, name, agent, held, manager, services, peerUrl));

    protected override void PreStart()
    {
        Context.Watch(_agent);
        Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));
        foreach (var claim in _claiming.Values)
        {
            _manager.Tell(new ClaimLock(claim.Key, _node, claim.Token), Self);
        }

        if (_claiming.Count == 0)
        {
            Open();
        }
        else
        {
            Timers.StartSingleTimer(ClaimTimeout, ClaimTimeout, ClaimTimeout);
        }
    }

    protected override void PostStop()
    {
        Context.System.EventStream.Unsubscribe(Self);
        _services.Agents.Remove(_node, Self);
        _services.Sources.RemoveNode(_node, _name);
        _log.Closed(_node, _name, _endReason ?? "stopped");
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ClaimAccepted accepted when !_open && _claiming.Remove(accepted.Key, out var claim):
                _claimed.Add(claim);
                _held[claim.Key] = (claim.Token, 0);
                OpenWhenClaimsAnswered();
                break;
            case ClaimRejected rejected when !_open && _claiming.Remove(rejected.Key, out var claim):
                _rejected.Add(new RejectedClaim(claim.Key, claim.Token, rejected.Reason));
                OpenWhenClaimsAnswered();
                break;
            case TimeSpan when !_open:
                foreach (var claim in _claiming.Values)
                {
                    _rejected.Add(new RejectedClaim(claim.Key, claim.Token, "the coordinator did not answer the claim in time"));
                }

                _claiming.Clear();
                Open();
                break;
            case DisassociatedEvent gone when gone.RemoteAddress.Equals(_agent.Path.Address):
                End("the agent's link closed (Akka.Remote disassociated)");
                break;
            case DisassociatedEvent:
                break;
            case Terminated terminated when terminated.ActorRef.Equals(_agent):
                End(terminated.AddressTerminated
                    ? "the agent's link failed (no heartbeat within the watch failure detector's pause)"
                    : "the agent's lock client stopped");
                break;
            case EndSession end:
                End(end.Reason);
                break;
            case ReconcileHeld reconcile when Sender.Equals(_agent):
                Reconcile(reconcile);
                break;
            case AgentLayers layers when Sender.Equals(_agent) && _open && _peerUrl is not null:
                var valid = layers.Layers.Where(l => LockLimits.CheckKey(l) is null).Take(MaxLayers).ToList();
                _services.Sources.Replace(_node, _name, _peerUrl, valid);
                _log.LayersReported(_node, _name, valid.Count);
                break;
            case AgentLayers:
                break;
            case ILockMessage request when Sender.Equals(_agent):
                FromAgent(request);
                break;
            case LockGranted or LockQueued or LockNotAcquired or LockReleased or LockRefused or LockRevoked or ClaimAccepted or ClaimRejected or PeerGranted:
                ToAgent(message);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OpenWhenClaimsAnswered()
    {
        if (_claiming.Count == 0)
        {
            Open();
        }
    }

    private void Open()
    {
        _open = true;
        Timers.Cancel(ClaimTimeout);
        _services.Agents.Set(new AgentEntry(_node, _agent.Path.Address.ToString(), _name, _services.Time.GetTimestamp(), Self));
        Context.Parent.Tell(new SessionOpened(_node, Self), Self);
        _log.Opened(_node, _name, _agent.Path.Address.ToString(), _claimed.Count + _rejected.Count, _claimed.Count);
        _agent.Tell(new AgentRegistered(_node, _name, [.. _claimed], [.. _rejected]), Self);
    }

    /// <summary>A request of the agent: checked at this edge, then sent on as this session's, for this node only.</summary>
    private void FromAgent(ILockMessage request)
    {
        if (!_open)
        {
            return; // the agent learns the session from AgentRegistered; nothing can come before it
        }

        if (LockLimits.CheckKey(request.Key) is { } badKey)
        {
            _log.Refused(_node, _name, badKey);
            _agent.Tell(new LockRefused(request.Key ?? string.Empty, badKey, null), Self);
            return;
        }

        object forward = request switch
        {
            AcquireLock acquire when LockLimits.CheckDuration("wait", (long)acquire.Wait.TotalMilliseconds, TimeSpan.FromDays(1)) is { } badWait
                => new LockNotAcquired(acquire.Key, acquire.RequestId, null, 0, $"bad-request: {badWait}"),
            // An agent's lock lives as long as its session: no lease.
            AcquireLock acquire => acquire with { Node = _node, Ttl = null },
            ReleaseLock release when LockLimits.CheckError(release.Error) is { } badError => new LockRefused(release.Key, badError, null),
            ReleaseLock release => Released(release with { Node = _node }),
            CancelWait cancel => cancel with { Node = _node },
            ReportProgress progress => progress with { Node = _node },
            PeerFetched fetched => PeerDone(fetched with { Node = _node }),
            _ => new LockRefused(request.Key, $"{request.GetType().Name} is not an agent request", null),
        };
        if (forward is LockNotAcquired or LockRefused)
        {
            _agent.Tell(forward, Self);
            return;
        }

        _manager.Tell(forward, Self);
    }

    private PeerFetched PeerDone(PeerFetched fetched)
    {
        if (fetched.Success)
        {
            NowHas(fetched.Key);
        }

        return fetched;
    }

    private ReleaseLock Released(ReleaseLock release)
    {
        if (release.Success && _held.TryGetValue(release.Key, out var held) && held.Token == release.Token)
        {
            NowHas(release.Key);
        }

        return release;
    }

    // A layer fetched with success (from upstream or a peer) is on this node now: a source for peers at once.
    private void NowHas(string layer)
    {
        if (_peerUrl is not null)
        {
            _services.Sources.Add(_node, _name, _peerUrl, layer);
        }
    }

    private void ToAgent(object reply)
    {
        switch (reply)
        {
            case LockGranted granted:
                _held[granted.Key] = (granted.Token, ++_grantsSent);
                break;
            case LockReleased released when _held.TryGetValue(released.Key, out var held) && held.Token == released.Token:
                _held.Remove(released.Key);
                break;
            case LockRevoked revoked when _held.TryGetValue(revoked.Key, out var held) && held.Token == revoked.Token:
                _held.Remove(revoked.Key);
                break;
        }

        _agent.Tell(reply, Self);
    }

    /// <summary>
    /// Releases, on the fail path, what only the Coordinator believes the agent holds: a lock
    /// granted on this session (the agent had seen the grant: its ordinal is at most
    /// <see cref="ReconcileHeld.GrantsSeen"/>) that the agent does not list.
    /// </summary>
    private void Reconcile(ReconcileHeld reconcile)
    {
        // Also the agent's heartbeat: the answer tells it the link and this session are alive.
        _agent.Tell(LinkAlive.Instance, Self);
        var believed = reconcile.Held.Select(h => (h.Key, h.Token)).ToHashSet();
        foreach (var (key, (token, ordinal)) in _held.ToList())
        {
            if (ordinal <= reconcile.GrantsSeen && !believed.Contains((key, token)))
            {
                _held.Remove(key);
                _log.Reconciled(_node, key, token);
                _manager.Tell(new ReleaseLock(key, _node, token, false, "the agent does not hold it (reconciliation)"), Self);
            }
        }
    }

    private void End(string reason)
    {
        _endReason ??= reason;
        _services.EndReasons.Record(Self, _endReason);
        Context.Stop(Self);
    }
}

/// <summary>The agent directory ends a session that a newer one of the same node replaced.</summary>
internal sealed record EndSession(string Reason);

/// <summary>A session has claimed what its agent holds and is open; the node's previous session, if any, ends.</summary>
internal sealed record SessionOpened(string Node, IActorRef Session);
