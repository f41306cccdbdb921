using LayerLock.Actors;
using LayerLock.Messages.Locks;

namespace LayerLock.Coordinator.Locks;

/// <summary>
/// Routes each lock message to the <see cref="LayerLockActor"/> of its key, spawning it on first
/// use and stopping it when idle, so memory follows the active keys. After a restart it holds
/// every key in recovery for the grace period: claims are accepted, nothing new is granted.
/// </summary>
internal sealed class LockManager(LockServices services, TimeSpan recoveryGrace) : IActor
{
    public const string Name = "lock-manager";

    private readonly Dictionary<string, KeyEntry> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<ActorRef, string> _keyOfChild = [];
    private readonly HashSet<string> _lingering = new(StringComparer.Ordinal);
    private bool _recovering;
    private bool _sweepScheduled;

    public Task ReceiveAsync(IContext context)
    {
        switch (context.Message)
        {
            case Started when recoveryGrace > TimeSpan.Zero:
                _recovering = true;
                services.Log.RecoveryStarted(services.Tokens.Epoch, (long)recoveryGrace.TotalMilliseconds);
                context.ScheduleTellOnce(recoveryGrace, context.Self, RecoveryEnded.Instance);
                break;
            case ILockMessage message:
                Route(context, message.Key, message, context.Sender);
                break;
            case KeyIdle idle:
                OnKeyIdle(context, idle);
                break;
            case IdleSweep:
                OnIdleSweep(context);
                break;
            case Terminated terminated:
                OnChildTerminated(context, terminated);
                break;
            case RecoveryEnded:
                _recovering = false;
                foreach (var (key, entry) in _keys.Where(k => !k.Value.Stopping))
                {
                    Route(context, key, RecoveryEnded.Instance, context.Self);
                }

                services.Log.RecoveryEnded(_keys.Count);
                break;
        }

        return Task.CompletedTask;
    }

    private void Route(IContext context, string key, object message, ActorRef? sender)
    {
        if (!_keys.TryGetValue(key, out var entry))
        {
            entry = Spawn(context, key);
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

    private KeyEntry Spawn(IContext context, string key)
    {
        var child = context.Spawn(
            Props.FromProducer(() => new LayerLockActor(key, services, _recovering)),
            ActorNames.ForKey(key));
        var entry = new KeyEntry(child);
        _keys[key] = entry;
        _keyOfChild[child] = key;
        return entry;
    }

    private void OnKeyIdle(IContext context, KeyIdle idle)
    {
        // Stop only if nothing was routed to the child after the message that left it idle.
        if (!_keys.TryGetValue(idle.Key, out var entry)
            || !ReferenceEquals(entry.Child, context.Sender)
            || entry.Stopping
            || entry.Forwarded != idle.Handled)
        {
            return;
        }

        if (services.IdleLinger <= TimeSpan.Zero)
        {
            StopIdle(context, entry);
            return;
        }

        // Linger: a sweep every half linger stops the keys it finds idle twice in a row, so a key
        // goes between half a linger and a whole one after its last use, and a hot key never does.
        entry.IdleAfter = idle.Handled;
        entry.IdleSweeps = 0;
        _lingering.Add(idle.Key);
        ScheduleSweep(context);
    }

    private void OnIdleSweep(IContext context)
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

            StopIdle(context, entry);
            return true;
        });

        if (_lingering.Count > 0)
        {
            ScheduleSweep(context);
        }
    }

    private void ScheduleSweep(IContext context)
    {
        if (!_sweepScheduled)
        {
            _sweepScheduled = true;
            context.ScheduleTellOnce(services.IdleLinger / 2, context.Self, IdleSweep.Instance);
        }
    }

    private static void StopIdle(IContext context, KeyEntry entry)
    {
        entry.Stopping = true;
        context.Stop(entry.Child);
    }

    private void OnChildTerminated(IContext context, Terminated terminated)
    {
        if (!_keyOfChild.Remove(terminated.Actor, out var key) || !_keys.TryGetValue(key, out var entry))
        {
            return;
        }

        _keys.Remove(key);
        if (!entry.Stopping)
        {
            services.Log.ActorFailed(key, terminated.Reason);
        }

        if (entry.Pending is { Count: > 0 })
        {
            var successor = Spawn(context, key);
            foreach (var (message, sender) in entry.Pending)
            {
                successor.Forwarded++;
                successor.Child.Tell(message, sender);
            }
        }
    }

    private sealed class KeyEntry(ActorRef child)
    {
        public ActorRef Child { get; } = child;

        public long Forwarded { get; set; }

        public bool Stopping { get; set; }

        /// <summary>The forwarded count at which the child last reported idle; -1 = not lingering.</summary>
        public long IdleAfter { get; set; } = -1;

        public int IdleSweeps { get; set; }

        /// <summary>Messages for the key that arrived while its actor was stopping; made on first use.</summary>
        public List<(object Message, ActorRef? Sender)>? Pending { get; set; }
    }
}
