namespace LayerLock.Actors;

/// <summary>The temporary reply address of one <see cref="ActorRef.Ask{T}"/>.</summary>
internal sealed class FutureActorRef : ActorRef
{
    private readonly TaskCompletionSource<object> _reply =
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly ActorRef _target;
    private readonly Type _messageType;

    internal FutureActorRef(ActorSystem system, ActorRef target, Type messageType)
        : base(system, $"/temp/ask-{system.NextTempId()}")
    {
        _target = target;
        _messageType = messageType;
    }

    public override void Tell(object message, ActorRef? sender = null)
    {
        if (!_reply.TrySetResult(message))
        {
            System.PublishDeadLetter(message, sender, this);
        }
    }

    internal async Task<object> WaitAsync(TimeSpan timeout)
    {
        try
        {
            return await _reply.Task.WaitAsync(timeout, System.TimeProvider).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A reply that arrives later must become a dead letter, not a silent success.
            _reply.TrySetCanceled();
            throw new TimeoutException(
                $"ask to {_target.Path} with {_messageType.Name} got no reply within {timeout.TotalMilliseconds:0} ms");
        }
    }

    internal override void SendSystemMessage(SystemMessage message)
    {
        if (message is WatchRequest watch)
        {
            watch.Watcher.SendSystemMessage(new DeathWatchNotification(this, "temporary reply address"));
        }
    }
}
