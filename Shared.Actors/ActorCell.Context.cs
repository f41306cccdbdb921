namespace LayerLock.Actors;

/// <summary>Children, watches and timers: the parts of <see cref="IContext"/> that keep state.</summary>
internal sealed partial class ActorCell
{
    // Guards the mailbox, the child registry, the watch set and the timers: messages and
    // spawns for a guardian come from any thread, and timers complete on the thread pool.
    private readonly Lock _sync = new();
    // Keyed by the child's full path, which its reference holds anyway: a key of its own name
    // would be a second string per child.
    private Dictionary<string, ActorRef>? _children;
    private ActorRefSet _watching;
    private HashSet<ScheduledTell>? _timers;
    private long _childIds;

    public IReadOnlyCollection<ActorRef> Children
    {
        get
        {
            lock (_sync)
            {
                return _children is null ? [] : [.. _children.Values];
            }
        }
    }

    public ActorRef Spawn(Props props, string? name = null) => SpawnChild(props, name);

    public ActorRef? GetChild(string name)
    {
        lock (_sync)
        {
            return _children?.GetValueOrDefault($"{Path}/{name}");
        }
    }

    public void Stop(ActorRef actor) => System.Stop(actor);

    public void Watch(ActorRef actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (ReferenceEquals(actor, Self))
        {
            return;
        }

        bool added;
        lock (_sync)
        {
            added = _watching.Add(actor);
        }

        if (added)
        {
            actor.SendSystemMessage(new WatchRequest(actor, Self));
        }
    }

    public void Unwatch(ActorRef actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        bool removed;
        lock (_sync)
        {
            removed = _watching.Remove(actor);
        }

        if (removed)
        {
            actor.SendSystemMessage(new UnwatchRequest(actor, Self));
        }
    }

    public void Respond(object message) => _sender?.Tell(message, Self);

    public ScheduledTell ScheduleTellOnce(TimeSpan delay, ActorRef target, object message)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        var scheduled = new ScheduledTell(target, message, Self, ForgetTimer);
        lock (_sync)
        {
            (_timers ??= []).Add(scheduled);
        }

        scheduled.Start(System.TimeProvider, delay);
        return scheduled;
    }

    internal ActorRef SpawnChild(Props props, string? name)
    {
        ArgumentNullException.ThrowIfNull(props);
        if (name is not null)
        {
            ValidateName(name);
        }

        ActorCell child;
        lock (_sync)
        {
            if (_state != CellState.Running)
            {
                throw new InvalidOperationException($"{Path} is stopping and cannot start children");
            }

            name ??= "$" + ++_childIds;
            var childPath = $"{Path}/{name}";
            _children ??= new(StringComparer.Ordinal);
            if (_children.ContainsKey(childPath))
            {
                throw new InvalidOperationException($"an actor named '{name}' already lives under {Path}");
            }

            var childRef = new LocalActorRef(System, childPath);
            child = new ActorCell(System, childRef, this, props.Producer());
            _children.Add(childPath, childRef);

            // A parent watches its children from birth.
            _watching.Add(childRef);
        }

        child.Start();
        return child.Self;
    }

    private static void ValidateName(string name)
    {
        if (name.Length == 0 || name.Contains('/') || name.StartsWith('$') || name.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException(
                $"actor name '{name}' is invalid: it must be non-empty, without '/' or whitespace, and not start with '$'",
                nameof(name));
        }
    }

    private void ForgetTimer(ScheduledTell scheduled)
    {
        lock (_sync)
        {
            _timers?.Remove(scheduled);
        }
    }

    private void CancelTimers()
    {
        ScheduledTell[] timers;
        lock (_sync)
        {
            timers = _timers is null ? [] : [.. _timers];
            _timers = null;
        }

        foreach (var timer in timers)
        {
            timer.Cancel();
        }
    }
}
