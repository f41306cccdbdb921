using System.Collections.Concurrent;
using System.Threading.Channels;
using LayerLock.Actors;
using LayerLock.Actors.Remote;

namespace LayerLock.Specs.Remote;

/// <summary>
/// A fake transport for the remote seam: what a local actor tells a <see cref="RemoteActorRef"/>
/// lands in <see cref="Outbox"/> (as a peer would receive it), and <see cref="Disconnect"/>
/// plays the connection dropping.
/// </summary>
internal sealed class InMemoryTransport(ActorSystem system) : IRemoteTransport
{
    private readonly ConcurrentDictionary<string, RemoteActorRef> _peers = new();
    private volatile bool _refusing;

    public Channel<(string Peer, object Message, ActorRef? Sender)> Outbox { get; } =
        Channel.CreateUnbounded<(string, object, ActorRef?)>();

    public RemoteActorRef Connect(string path) => _peers.GetOrAdd(path, p => new RemoteActorRef(system, p, this));

    /// <summary>From now on the transport cannot take messages, as a full or half-closed socket.</summary>
    public void Refuse() => _refusing = true;

    public bool Disconnect(string path, string reason) =>
        _peers.TryRemove(path, out var peer) && peer.MarkTerminated(reason);

    public bool TrySend(RemoteActorRef recipient, object message, ActorRef? sender) =>
        !_refusing && Outbox.Writer.TryWrite((recipient.Path, message, sender));
}
