using Akka.Actor;
using Akka.Event;
using LayerLock.Coordinator.Agents;
using LayerLock.Messages.Agents;
using LayerLock.Messages.Locks;

namespace LayerLock.Coordinator.Locks;

/// <summary>
/// Routes each lock message to the <see cref="LayerLockActor"/> of its key, spawning it on first
/// use and stopping it when idle, so memory follows the active keys. After a restart it holds
/// every key in recovery for the grace period: claims are accepted, nothing new is granted.
/// A lock actor that throws is stopped (not restarted: its holder and waiters are told, and a
/// fresh actor serves the key's next request).
/// </summary>
internal sealed class LockManager : UntypedActor, IWithTimers
{
    /// <summary>The actor's name under <c>/user</c>: <c>/user/lock-manager</c>.</summary>
    public const string Name = "lock-manager";

    private readonly Dictionary<string, KeyEntry> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, string> _keyOfChild = [];
    private readonly HashSet<string> _lingering = new(StringComparer.Ordinal);
    private readonly LockServices _services;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly TimeSpan _recoveryGrace;
    private readonly IActorRef? _agents;
    private bool _recovering;
    private bool _sweepScheduled;

    public LockManager(LockServices services, TimeSpan recoveryGrace, IActorRef? agents)
    {
        _services = services;
        _recoveryGrace = recoveryGrace;
        _agents = agents;
        KeyMailbox.Ensure(Context.System);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="recoveryGrace">Zero on a first start; after a restart, how long holders may reclaim before anything new is granted.</param>
    /// <param name="agents">The <see cref="AgentDirectory"/> that agent registrations go to; null = agents cannot register (in-process specs).</param>
    public static Props Props(LockServices services, TimeSpan recoveryGrace, IActorRef? agents = null) =>
        Akka.Actor.Props.Create(() => new LockManager(services, recoveryGrace, agents));

    protected override SupervisorStrategy SupervisorStrategy() => RemoteKill.Stopping;

    protected override void PreStart()
    {
        if (_recoveryGrace > TimeSpan.Zero)
        {
            _recovering = true;
            _services.Log.RecoveryStarted(_services.Tokens.Epoch, (long)_recoveryGrace.TotalMilliseconds);
            Timers.StartSingleTimer(RecoveryEnded.Instance, RecoveryEnded.Instance, _recoveryGrace);
        }
    }

    /// <summary>After every key's actor has stopped (Akka stops children first): one line for the locks the shutdown ended.</summary>
    protected override void PostStop()
    {
        if (_services.EndedAtStop > 0)
        {
            _services.Log.LocksEndedAtStop(_services.EndedAtStop);
        }
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ILockMessage lockMessage when !Sender.Path.Address.HasLocalScope:
                // Reachable by selection from any agent, registered or not: lock requests are taken
                // only from this process (an agent's session, the HTTP owner), never straight off the wire.
                _log.Warning("lock.refused-remote {Key} {Sender}: lock requests must come through an agent's session (register first)", lockMessage.Key, Sender.Path.ToString());
                break;
            case ILockMessage lockMessage:
                Route(lockMessage.Key, lockMessage, Sender);
                break;
            case KeyIdle idle:
                OnKeyIdle(idle);
                break;
            case IdleSweep:
                OnIdleSweep();
                break;
            case RegisterAgent register when _agents is not null:
                // Agents may select only this actor (untrusted mode); their sessions live under /user/agents.
                _agents.Tell(new AgentDirectory.Registration(register, Sender, Self), Self);
                break;
            case Terminated terminated:
                OnChildTerminated(terminated);
                break;
            case RecoveryEnded:
                _recovering = false;
                foreach (var (key, _) in _keys.Where(k => !k.Value.Stopping))
                {
                    Route(key, RecoveryEnded.Instance, Self);
                }

                _services.Log.RecoveryEnded(_keys.Count);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Route(string key, object message, IActorRef sender)
    {
        if (!_keys.TryGetValue(key, out var entry))
        {
            entry = Spawn(key);
        }

        if (entry.Stopping)
        {
            // The idle child is on its way out; keep the message for its successor.
            (entry.Pending ??= []).Add((message, sender));
            return;
        }

        entry.Forwarded++;
        entry.Child.Tell(message, sender);
    }

    private KeyEntry Spawn(string key)
    {
        var child = Context.ActorOf(LayerLockActor.Props(key, _services, _recovering), ActorNames.ForKey(key));
        Context.Watch(child);
        var entry = new KeyEntry(child);
        _keys[key] = entry;
        _keyOfChild[child] = key;
        return entry;
    }

    private void OnKeyIdle(KeyIdle idle)
    {
        // Stop only if nothing was routed to the child after the message that left it idle.
        if (!_keys.TryGetValue(idle.Key, out var entry)
            || !entry.Child.Equals(Sender)
            || entry.Stopping
            || entry.Forwarded != idle.Handled)
        {
            return;
        }

        if (_services.IdleLinger <= TimeSpan.Zero)
        {
            StopIdle(entry);
            return;
        }

        // Linger: a sweep every half linger stops the keys it finds idle twice in a row, so a key
        // goes between half a linger and a whole one after its last use, and a hot key never does.
        entry.IdleAfter = idle.Handled;
        entry.IdleSweeps = 0;
        _lingering.Add(idle.Key);
        ScheduleSweep();
    }

    private void OnIdleSweep()
    {
        _sweepScheduled = false;
        _lingering.RemoveWhere(key =>
        {
            if (!_keys.TryGetValue(key, out var entry) || entry.Stopping || entry.Forwarded != entry.IdleAfter)
            {
                return true; // gone, or used again: it reports KeyIdle anew when it next goes idle
            }

            if (entry.IdleSweeps++ == 0)
            {
                return false;
            }

            StopIdle(entry);
            return true;
        });

        if (_lingering.Count > 0)
        {
            ScheduleSweep();
        }
    }

    private void ScheduleSweep()
    {
        if (!_sweepScheduled)
        {
            _sweepScheduled = true;
            Timers.StartSingleTimer(IdleSweep.Instance, IdleSweep.Instance, _services.IdleLinger / 2);
        }
    }

    private void StopIdle(KeyEntry entry)
    {
        entry.Stopping = true;
        Context.Stop(entry.Child);
    }

    private void OnChildTerminated(Terminated terminated)
    {
        if (!_keyOfChild.Remove(terminated.ActorRef, out var key) || !_keys.TryGetValue(key, out var entry))
        {
            return;
        }

        _keys.Remove(key);
        if (!entry.Stopping)
        {
            _services.Log.ActorFailed(key, "stopped after a failure (see the actor's error above)");
        }

        if (entry.Pending is { Count: > 0 })
        {
            var successor = Spawn(key);
            foreach (var (message, sender) in entry.Pending)
            {
                successor.Forwarded++;
                successor.Child.Tell(message, sender);
            }
        }
    }

    private sealed class KeyEntry(IActorRef child)
    {
        public IActorRef Child { get; } = child;

        public long Forwarded { get; set; }

        public bool Stopping { get; set; }

        /// <summary>The forwarded count at which the child last reported idle; -1 = not lingering.</summary>
        public long IdleAfter { get; set; } = -1;

        public int IdleSweeps { get; set; }

        /// <summary>Messages for the key that arrived while its actor was stopping; made on first use.</summary>
        public List<(object Message, IActorRef Sender)>? Pending { get; set; }
    }
}
