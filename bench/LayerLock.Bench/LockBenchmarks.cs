using Akka.Actor;
using BenchmarkDotNet.Attributes;
using LayerLock.Coordinator.Dashboard;
using LayerLock.Coordinator.Locks;
using LayerLock.Messages.Locks;
using Microsoft.Extensions.Logging.Abstractions;

namespace LayerLock.Bench;

/// <summary>One acquire + release cycle through the LockManager and a LayerLockActor, in process (Akka.NET).</summary>
[MemoryDiagnoser]
public class LockBenchmarks
{
    private const int Cycles = 1_000;
    private ActorSystem _system = null!;
    private IActorRef _manager = null!;
    private IActorRef _session = null!;

    /// <summary>0 = an idle key's actor stops at once (respawned every cycle); 1000 = the shipped linger.</summary>
    [Params(0, 1000)]
    public int IdleLingerMs { get; set; }

    /// <summary>
    /// True = as the Coordinator runs: every transition also published on the EventStream, with the
    /// live page's <see cref="DashboardFeed"/> subscribed (no page open); false = logged only.
    /// </summary>
    [Params(false, true)]
    public bool LivePageFeed { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _system = ActorSystem.Create("bench", "akka.loglevel = WARNING");
        var log = new LockLog(NullLogger.Instance);
        var services = new LockServices(FencingTokenSource.InMemory(), new LockTable(), new CoordinatorMetrics(), log, TimeProvider.System)
        {
            IdleLinger = TimeSpan.FromMilliseconds(IdleLingerMs),
        };
        if (LivePageFeed)
        {
            _system.ActorOf(DashboardFeed.Props(services, auth: false, DashboardFeed.DefaultStallTimeout, new DashboardLog(NullLogger.Instance)), DashboardFeed.Name);
            log.Events = _system.EventStream;
        }

        _manager = _system.ActorOf(LockManager.Props(services, TimeSpan.Zero), LockManager.Name);
        _session = _system.ActorOf(Props.Create(() => new Session(_manager)), "session");
    }

    [GlobalCleanup]
    public void Cleanup() => _system.Terminate().GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = Cycles)]
    public Task AcquireAndRelease() => _session.Ask<Done>(new Run(Cycles), TimeSpan.FromMinutes(1));

    private sealed record Run(int Cycles);

    private sealed record Done;

    /// <summary>Acquires, releases on the grant, and acquires again, <c>cycles</c> times; then answers <see cref="Done"/>.</summary>
    private sealed class Session(IActorRef manager) : UntypedActor
    {
        private const string Key = "sha256:bench";
        private int _left;
        private IActorRef _asker = ActorRefs.Nobody;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Run run:
                    _left = run.Cycles;
                    _asker = Sender;
                    manager.Tell(new AcquireLock(Key, "bench", _left, TimeSpan.FromSeconds(10)), Self);
                    break;
                case LockGranted granted:
                    manager.Tell(new ReleaseLock(Key, "bench", granted.Token, true), Self);
                    break;
                case LockReleased when --_left == 0:
                    _asker.Tell(new Done());
                    break;
                case LockReleased:
                    manager.Tell(new AcquireLock(Key, "bench", _left, TimeSpan.FromSeconds(10)), Self);
                    break;
            }
        }
    }
}
