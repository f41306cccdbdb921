using System.Collections.Concurrent;
using Akka.Actor;
using LayerLock.Messages.Locks;

namespace LayerLock.Coordinator.Http;

/// <summary>
/// The owner of <c>POST /lock</c> requests: it receives the lock actors' replies and completes the
/// waiting HTTP response of each request id. One shared owner (<c>/user/http-locks</c>) serves
/// every request that did not ask for <c>release_on_disconnect</c>, and never stops, so such a
/// lock ends only at <c>/unlock</c> or lease expiry. A request with <c>release_on_disconnect</c>
/// gets an owner of its own, stopped when its connection closes: the lock actors watching it then
/// take the fail path.
/// </summary>
internal sealed class HttpLockOwner : UntypedActor
{
    /// <summary>The shared owner's name under <c>/user</c>.</summary>
    public const string SharedName = "http-locks";

    private readonly HttpPendingRequests _pending;
    private readonly IActorRef _manager;

    public HttpLockOwner(HttpPendingRequests pending, IActorRef manager)
    {
        _pending = pending;
        _manager = manager;
    }

    public static Props Props(HttpPendingRequests pending, IActorRef manager) =>
        Akka.Actor.Props.Create(() => new HttpLockOwner(pending, manager));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case LockGranted granted when !_pending.TryComplete(granted.RequestId, granted):
                // Nobody will ever learn of this grant; give it back at once instead of at lease expiry.
                _manager.Tell(new ReleaseLock(granted.Key, granted.Node, granted.Token, false, "the HTTP client left before the grant"), Self);
                break;
            case LockNotAcquired notAcquired:
                _pending.TryComplete(notAcquired.RequestId, notAcquired);
                break;
            case LockGranted or LockQueued or LockRevoked or LockReleased or LockRefused:
                // Queue positions and lease loss have no HTTP channel; /locks shows both.
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}

/// <summary>The <c>POST /lock</c> requests still waiting for their final answer, by request id.</summary>
internal sealed class HttpPendingRequests
{
    private readonly ConcurrentDictionary<long, TaskCompletionSource<object>> _waiting = new();
    private long _requestIds;

    /// <summary>A fresh request id and the task its final answer (<see cref="LockGranted"/> or <see cref="LockNotAcquired"/>) completes.</summary>
    public (long RequestId, Task<object> Reply) Open()
    {
        var requestId = Interlocked.Increment(ref _requestIds);
        var reply = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[requestId] = reply;
        return (requestId, reply.Task);
    }

    /// <summary>The client is gone: an answer that arrives from now on finds nobody (a grant is handed back).</summary>
    public void Abandon(long requestId) => _waiting.TryRemove(requestId, out _);

    /// <summary>Completes the request; false when nobody waits for it any more.</summary>
    public bool TryComplete(long requestId, object reply) =>
        _waiting.TryRemove(requestId, out var waiting) && waiting.TrySetResult(reply);
}
