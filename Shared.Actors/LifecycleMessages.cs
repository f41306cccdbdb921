namespace LayerLock.Actors;

/// <summary>The first message every actor gets, before any message sent to it.</summary>
public sealed record Started
{
    public static readonly Started Instance = new();

    private Started()
    {
    }
}

/// <summary>
/// The last message an actor gets: its children have stopped and it is about to die.
/// Release resources here. Its watchers hear <see cref="Terminated"/> right after.
/// </summary>
public sealed record Stopped
{
    public static readonly Stopped Instance = new();

    private Stopped()
    {
    }
}

/// <summary>
/// A watched actor has stopped, failed, or (for a remote reference) its peer is gone.
/// Delivered exactly once per <see cref="IContext.Watch"/>.
/// </summary>
/// <param name="Actor">The actor that is gone.</param>
/// <param name="Reason">"stopped", "failed: &lt;exception&gt;", or the transport's reason for a remote peer.</param>
public sealed record Terminated(ActorRef Actor, string Reason);

/// <summary>A message that could not be delivered, published on the <see cref="EventStream"/>.</summary>
public sealed record DeadLetter(object Message, ActorRef? Sender, ActorRef Recipient);
