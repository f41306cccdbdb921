namespace LayerLock.Actors;

/// <summary>
/// What an actor sees while it handles one message. Valid only inside
/// <see cref="IActor.ReceiveAsync"/>; do not keep it across messages or threads.
/// </summary>
public interface IContext
{
    ActorSystem System { get; }

    ActorRef Self { get; }

    /// <summary>The parent; null only for the system's guardians.</summary>
    ActorRef? Parent { get; }

    /// <summary>The sender of the current message, or null when it was sent without one.</summary>
    ActorRef? Sender { get; }

    /// <summary>The message being handled.</summary>
    object Message { get; }

    /// <summary>
    /// Starts a child. Its path is this actor's path + "/" + <paramref name="name"/>.
    /// The parent watches the child: it gets <see cref="Terminated"/> when the child stops.
    /// </summary>
    /// <param name="props">How to make the child.</param>
    /// <param name="name">Unique among this actor's live children; null picks "$n".</param>
    /// <exception cref="InvalidOperationException">The name is taken, or this actor is stopping.</exception>
    /// <exception cref="ArgumentException">The name is empty, contains '/' or starts with '$'.</exception>
    ActorRef Spawn(Props props, string? name = null);

    /// <summary>The live child with that name, if any.</summary>
    ActorRef? GetChild(string name);

    /// <summary>The live children of this actor.</summary>
    IReadOnlyCollection<ActorRef> Children { get; }

    /// <summary>
    /// Stops an actor (this one, a child, or any local actor): its children stop first,
    /// then it gets <see cref="Stopped"/>, then its watchers get <see cref="Terminated"/>.
    /// Messages still queued go to dead letters.
    /// </summary>
    void Stop(ActorRef actor);

    /// <summary>
    /// Asks for one <see cref="Terminated"/> when <paramref name="actor"/> stops; at once if it
    /// is already dead. Watching twice is the same as watching once.
    /// </summary>
    void Watch(ActorRef actor);

    /// <summary>Stops watching; a <see cref="Terminated"/> not yet handled is dropped.</summary>
    void Unwatch(ActorRef actor);

    /// <summary>Sends <paramref name="message"/> back to <see cref="Sender"/>, if there is one.</summary>
    void Respond(object message);

    /// <summary>
    /// Tells <paramref name="message"/> to <paramref name="target"/> after <paramref name="delay"/>,
    /// from this actor. Cancelled when this actor stops.
    /// </summary>
    ScheduledTell ScheduleTellOnce(TimeSpan delay, ActorRef target, object message);
}
