namespace LayerLock.Actors;

internal sealed class LocalActorRef : ActorRef
{
    internal LocalActorRef(ActorSystem system, string path)
        : base(system, path)
    {
    }

    // Set once, right after construction, before the reference is handed out.
    internal ActorCell Cell { get; set; } = null!;

    public override void Tell(object message, ActorRef? sender = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        Cell.Post(message, sender);
    }

    internal override void SendSystemMessage(SystemMessage message) => Cell.PostSystem(message);
}
