namespace LayerLock.Actors.Remote;

/// <summary>
/// Carries messages to an actor in another process (for LayerLock: a NodeAgent's session).
/// The transport owns the connection; when it learns the peer is gone it calls
/// <see cref="RemoteActorRef.MarkTerminated"/>, and every watcher of the reference hears
/// <see cref="Terminated"/>.
/// </summary>
public interface IRemoteTransport
{
    /// <summary>
    /// Hands <paramref name="message"/> to the connection for <paramref name="recipient"/>.
    /// Must not block. Returns false when the connection cannot take it (closed); the message
    /// then becomes a dead letter.
    /// </summary>
    bool TrySend(RemoteActorRef recipient, object message, ActorRef? sender);
}
