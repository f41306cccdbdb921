using Akka.Actor;

namespace LayerLock.Coordinator.Sessions;

/// <summary>
/// The lock owner of one WebSocket session: lock actors watch it and tell it their replies, which
/// it hands to the session to leave as frames. The session stops it when the socket ends, and every
/// lock actor watching it takes the fail path.
/// </summary>
internal sealed class SessionOwner : UntypedActor
{
    private readonly Func<object, bool> _deliver;

    public SessionOwner(Func<object, bool> deliver)
    {
        _deliver = deliver;
    }

    public static Props Props(Func<object, bool> deliver) => Akka.Actor.Props.Create(() => new SessionOwner(deliver));

    protected override void OnReceive(object message)
    {
        if (!_deliver(message))
        {
            Unhandled(message);
        }
    }
}
