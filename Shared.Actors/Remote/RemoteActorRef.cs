namespace LayerLock.Actors.Remote;

/// <summary>
/// An actor on the far side of a transport, used like any <see cref="ActorRef"/>: <see cref="Tell"/>
/// goes over the transport, and <see cref="IContext.Watch"/> works — watchers get
/// <see cref="Terminated"/> once, with the transport's reason, when the transport calls
/// <see cref="MarkTerminated"/>. Watching after that notifies at once.
/// </summary>
public sealed class RemoteActorRef : ActorRef
{
    private readonly IRemoteTransport _transport;
    private readonly Lock _sync = new();
    private HashSet<ActorRef>? _watchers;
    private string? _terminationReason;

    /// <param name="system">The local system whose actors will talk to and watch this reference.</param>
    /// <param name="path">Names the peer in logs and dead letters, e.g. <c>/remote/node-a/session-3</c>.</param>
    /// <param name="transport">Sends on behalf of this reference.</param>
    public RemoteActorRef(ActorSystem system, string path, IRemoteTransport transport)
        : base(system, path)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(transport);
        _transport = transport;
    }

    /// <summary>True once the transport reported the peer gone.</summary>
    public bool IsTerminated => Volatile.Read(ref _terminationReason) is not null;

    /// <summary>How many local actors watch this peer (for metrics and leak checks).</summary>
    public int WatcherCount
    {
        get
        {
            lock (_sync)
            {
                return _watchers?.Count ?? 0;
            }
        }
    }

    public override void Tell(object message, ActorRef? sender = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (IsTerminated || !_transport.TrySend(this, message, sender))
        {
            System.PublishDeadLetter(message, sender, this);
        }
    }

    /// <summary>
    /// Called by the transport when the peer is gone (connection closed, keep-alive timed out).
    /// Only the first call counts; it notifies every watcher once.
    /// </summary>
    /// <returns>True for the call that terminated the reference.</returns>
    public bool MarkTerminated(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        ActorRef[] watchers;
        lock (_sync)
        {
            if (_terminationReason is not null)
            {
                return false;
            }

            Volatile.Write(ref _terminationReason, reason);
            watchers = _watchers is null ? [] : [.. _watchers];
            _watchers = null;
        }

        var notification = new DeathWatchNotification(this, reason);
        foreach (var watcher in watchers)
        {
            watcher.SendSystemMessage(notification);
        }

        return true;
    }

    internal override void SendSystemMessage(SystemMessage message)
    {
        switch (message)
        {
            case WatchRequest watch:
                string? reason;
                lock (_sync)
                {
                    reason = _terminationReason;
                    if (reason is null)
                    {
                        (_watchers ??= []).Add(watch.Watcher);
                    }
                }

                if (reason is not null)
                {
                    watch.Watcher.SendSystemMessage(new DeathWatchNotification(this, reason));
                }

                break;
            case UnwatchRequest unwatch:
                lock (_sync)
                {
                    _watchers?.Remove(unwatch.Watcher);
                }

                break;
        }
    }
}
