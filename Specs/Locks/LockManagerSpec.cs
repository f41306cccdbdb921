using Akka.Actor;
using Akka.TestKit;
using LayerLock.Coordinator.Locks;
using LayerLock.Messages.Locks;
using LayerLock.Specs.Support;

namespace LayerLock.Specs.Locks;

/// <summary>
/// A LockManager in a fresh ActorSystem (Akka.TestKit's, one per spec), with test probes standing
/// in for the owners (agent sessions, HTTP requests) that ask for locks.
/// </summary>
public abstract class LockManagerSpec : Akka.TestKit.Xunit2.TestKit
{
    protected const string Key = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    protected static readonly TimeSpan Long = TimeSpan.FromMinutes(1);
    protected static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    /// <summary>A starved 2-core run can hold a message back for seconds; no spec waits this long when it passes.</summary>
    private const string SpecConfig = "akka.test.single-expect-default = 10s\nakka.loglevel = WARNING";
    private long _requestIds;

    protected LockManagerSpec(TimeSpan? recoveryGrace = null, FencingTokenSource? tokens = null, TimeSpan? stallTimeout = null, TimeSpan? idleLinger = null, RateFloor? rateFloor = null, int maxUploads = 4)
        : base(SpecConfig)
    {
        Log = new CapturedLog();
        Tokens = tokens ?? FencingTokenSource.InMemory();
        Table = new LockTable();
        Metrics = new CoordinatorMetrics();
        Services = new LockServices(Tokens, Table, Metrics, new LockLog(Log.CreateLogger("LayerLock.Coordinator.Locks")), TimeProvider.System)
        {
            StallTimeout = stallTimeout ?? TimeSpan.Zero,
            IdleLinger = idleLinger ?? TimeSpan.Zero,
            RateFloor = rateFloor ?? RateFloor.Off,
            Uploads = new UploadSlots(maxUploads),
        };
        Metrics.ReadAtScrape(Services);
        Manager = Sys.ActorOf(LockManager.Props(Services, recoveryGrace ?? TimeSpan.Zero), LockManager.Name);
    }

    /// <summary>The lock events, as the Coordinator's log would get them.</summary>
    protected new CapturedLog Log { get; }

    internal LockServices Services { get; }

    internal LockTable Table { get; }

    internal CoordinatorMetrics Metrics { get; }

    /// <summary>What <c>GET /metrics</c> would answer now.</summary>
    internal Task<string> ScrapeMetricsAsync() => CoordinatorMetricsSpecs.ScrapeAsync(Metrics);

    internal FencingTokenSource Tokens { get; }

    protected IActorRef Manager { get; }

    protected TestProbe CreateProbe() => CreateTestProbe();

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
