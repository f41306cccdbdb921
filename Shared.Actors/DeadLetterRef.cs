namespace LayerLock.Actors;

/// <summary>Where undeliverable messages go: they are logged and published as <see cref="DeadLetter"/>.</summary>
internal sealed class DeadLetterRef : ActorRef
{
    internal DeadLetterRef(ActorSystem system)
        : base(system, "/deadLetters")
    {
    }

    public override void Tell(object message, ActorRef? sender = null) =>
        System.PublishDeadLetter(message, sender, this);

    internal override void SendSystemMessage(SystemMessage message)
    {
        // Dead letters never lived, so a watcher hears at once that it is gone.
        if (message is WatchRequest watch)
        {
            watch.Watcher.SendSystemMessage(new DeathWatchNotification(this, "dead letters"));
        }
    }
}
