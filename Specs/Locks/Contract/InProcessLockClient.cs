using System.Collections.Concurrent;
using Akka.Actor;
using LayerLock.Messages.Locks;

namespace LayerLock.Specs.Locks.Contract;

/// <summary>A node talking to the LockManager directly, through an actor of its own (its "session").</summary>
internal sealed class InProcessLockClient : ILockClient
{
    private static long _requestIds;
    private readonly ActorSystem _system;
    private readonly IActorRef _manager;
    private readonly IActorRef _session;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<AttemptOutcome>> _attempts = new();
    private TaskCompletionSource<UnlockOutcome>? _unlock;

    public InProcessLockClient(ActorSystem system, IActorRef manager, string node)
    {
        _system = system;
        _manager = manager;
        Node = node;
        _session = system.ActorOf(Props.Create(() => new ReplyActor(OnReply)), $"client-{node}-{Guid.NewGuid():N}");
    }

    public string Node { get; }

    public Task<LockAttempt> LockAsync(string key, TimeSpan wait)
    {
        var requestId = Interlocked.Increment(ref _requestIds);
        var outcome = new TaskCompletionSource<AttemptOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        _attempts[requestId] = outcome;
        _manager.Tell(new AcquireLock(key, Node, requestId, wait), _session);
        return Task.FromResult(new LockAttempt(key, requestId, outcome.Task));
    }

    public Task<UnlockOutcome> UnlockAsync(string key, long token, bool success = true, string? error = null)
    {
        _unlock = new TaskCompletionSource<UnlockOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        _manager.Tell(new ReleaseLock(key, Node, token, success, error), _session);
        return _unlock.Task;
    }

    public Task CancelAsync(LockAttempt attempt)
    {
        _manager.Tell(new CancelWait(attempt.Key, Node, attempt.RequestId), _session);
        return Task.CompletedTask;
    }

    public Task DropAsync()
    {
        _system.Stop(_session);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _system.Stop(_session);
        return ValueTask.CompletedTask;
    }

    private void OnReply(object message)
    {
        switch (message)
        {
            case LockGranted granted when _attempts.TryRemove(granted.RequestId, out var attempt):
                attempt.TrySetResult(new AttemptOutcome(true, granted.Token, null, null));
                break;
            case LockNotAcquired notAcquired when _attempts.TryRemove(notAcquired.RequestId, out var attempt):
                attempt.TrySetResult(new AttemptOutcome(false, 0, notAcquired.Reason, notAcquired.Holder));
                break;
            case LockReleased released:
                _unlock?.TrySetResult(new UnlockOutcome(true, released.Next, null));
                break;
            case LockRefused refused:
                _unlock?.TrySetResult(new UnlockOutcome(false, null, refused.Reason));
                break;
        }
    }

    /// <summary>The client's "session": hands every reply to the client.</summary>
    private sealed class ReplyActor(Action<object> onReply) : UntypedActor
    {
        protected override void OnReceive(object message) => onReply(message);
    }
}
