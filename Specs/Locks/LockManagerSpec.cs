using LayerLock.Actors;
using LayerLock.Actors.TestKit;
using LayerLock.Coordinator.Locks;
using LayerLock.Messages.Locks;
using LayerLock.Specs.Support;

namespace LayerLock.Specs.Locks;

/// <summary>A LockManager in a fresh actor system, with probes standing in for node sessions.</summary>
public abstract class LockManagerSpec : ActorSpec
{
    protected const string Key = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    protected static readonly TimeSpan Long = TimeSpan.FromMinutes(1);
    protected static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);
    private long _requestIds;

    protected LockManagerSpec(TimeSpan? recoveryGrace = null, FencingTokenSource? tokens = null, TimeSpan? stallTimeout = null, TimeSpan? idleLinger = null)
    {
        Tokens = tokens ?? FencingTokenSource.InMemory();
        Table = new LockTable();
        Metrics = new CoordinatorMetrics();
        Services = new LockServices(Tokens, Table, Metrics, new LockLog(Log.CreateLogger("LayerLock.Coordinator.Locks")), TimeProvider.System)
        {
            StallTimeout = stallTimeout ?? TimeSpan.Zero,
            IdleLinger = idleLinger ?? TimeSpan.Zero,
        };
        Manager = Sys.Spawn(Props.FromProducer(() => new LockManager(Services, recoveryGrace ?? TimeSpan.Zero)), LockManager.Name);
    }

    internal LockServices Services { get; }

    internal LockTable Table { get; }

    internal CoordinatorMetrics Metrics { get; }

    internal FencingTokenSource Tokens { get; }

    protected ActorRef Manager { get; }

    protected long NextRequestId() => Interlocked.Increment(ref _requestIds);

    protected long Acquire(TestProbe session, string node, TimeSpan wait, string key = Key, TimeSpan? ttl = null)
    {
        var requestId = NextRequestId();
        session.Send(Manager, new AcquireLock(key, node, requestId, wait, ttl));
        return requestId;
    }

    protected async Task<LockGranted> AcquireGrantedAsync(TestProbe session, string node, string key = Key, TimeSpan? ttl = null)
    {
        var requestId = Acquire(session, node, Long, key, ttl);
        return await session.ExpectMsgAsync<LockGranted>(g => g.RequestId == requestId && g.Key == key);
    }

    protected async Task<LockQueued> AcquireQueuedAsync(TestProbe session, string node, string key = Key)
    {
        var requestId = Acquire(session, node, Long, key);
        return await session.ExpectMsgAsync<LockQueued>(q => q.RequestId == requestId);
    }

    protected async Task<LockReleased> ReleaseAsync(TestProbe session, string node, long token, bool success = true, string? error = null, string key = Key)
    {
        session.Send(Manager, new ReleaseLock(key, node, token, success, error));
        return await session.ExpectMsgAsync<LockReleased>();
    }
}
