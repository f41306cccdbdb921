using LayerLock.Actors;
using LayerLock.Actors.Remote;
using LayerLock.Messages.Locks;

namespace LayerLock.Coordinator.Http;

/// <summary>
/// The owner of one <c>POST /lock</c>: a remote reference whose transport is the waiting HTTP
/// response. It is terminated — releasing its lock on the fail path — only when the request asked
/// for <c>release_on_disconnect</c> and its connection closes.
/// </summary>
internal sealed class HttpLockOwner : IRemoteTransport
{
    private readonly TaskCompletionSource<object> _reply = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ActorRef _manager;

    public HttpLockOwner(ActorSystem system, ActorRef manager, string node, long requestId)
    {
        _manager = manager;
        Ref = new RemoteActorRef(system, $"/remote/http/{node}/request-{requestId}", this);
    }

    public RemoteActorRef Ref { get; }

    /// <summary>The final answer: <see cref="LockGranted"/> or <see cref="LockNotAcquired"/>.</summary>
    public Task<object> Reply => _reply.Task;

    /// <summary>The client is gone: a grant that arrives from now on is handed straight back.</summary>
    public void Abandon() => _reply.TrySetCanceled();

    public bool TrySend(RemoteActorRef recipient, object message, ActorRef? sender)
    {
        switch (message)
        {
            case LockGranted granted when !_reply.TrySetResult(granted):
                // Nobody will ever learn of this grant; give it back at once instead of at lease expiry.
                _manager.Tell(new ReleaseLock(granted.Key, granted.Node, granted.Token, false, "the HTTP client left before the grant"), Ref);
                return true;
            case LockGranted or LockNotAcquired:
                _reply.TrySetResult(message);
                return true;
            case LockQueued or LockRevoked or LockReleased or LockRefused:
                // Queue positions and lease loss have no HTTP channel; /locks shows both.
                return true;
            default:
                return false;
        }
    }
}
