using BenchmarkDotNet.Attributes;
using LayerLock.Actors;
using LayerLock.Coordinator.Locks;
using LayerLock.Messages.Locks;

namespace LayerLock.Bench;

/// <summary>One acquire + release cycle through the LockManager and a LayerLockActor, in process.</summary>
[MemoryDiagnoser]
public class LockBenchmarks
{
    private const int Cycles = 1_000;
    private ActorSystem _system = null!;
    private ActorRef _manager = null!;
    private ActorRef _session = null!;
    private Session _state = null!;

    /// <summary>0 = an idle key's actor stops at once (respawned every cycle); 1000 = the shipped linger.</summary>
    [Params(0, 1000)]
    public int IdleLingerMs { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _system = new ActorSystem("bench");
        var services = new LockServices(FencingTokenSource.InMemory(), new LockTable(), new CoordinatorMetrics(), LockLog.None, TimeProvider.System)
        {
            IdleLinger = TimeSpan.FromMilliseconds(IdleLingerMs),
        };
        _manager = _system.Spawn(Props.FromProducer(() => new LockManager(services, TimeSpan.Zero)), LockManager.Name);
        _state = new Session();
        _session = _system.Spawn(Props.FromProducer(() => _state), "session");
    }

    [GlobalCleanup]
    public void Cleanup() => _system.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = Cycles)]
    public Task AcquireAndRelease() => _state.RunAsync(_manager, _session, Cycles);

    /// <summary>Acquires, releases on the grant, and acquires again, <c>cycles</c> times.</summary>
    private sealed class Session : IActor
    {
        private const string Key = "sha256:bench";
        private ActorRef _manager = null!;
        private int _left;
        private TaskCompletionSource? _done;

        public Task RunAsync(ActorRef manager, ActorRef self, int cycles)
        {
            _manager = manager;
            _left = cycles;
            _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            manager.Tell(new AcquireLock(Key, "bench", cycles, TimeSpan.FromSeconds(10)), self);
            return _done.Task;
        }

        public Task ReceiveAsync(IContext context)
        {
            switch (context.Message)
            {
                case LockGranted granted:
                    _manager.Tell(new ReleaseLock(Key, "bench", granted.Token, true), context.Self);
                    break;
                case LockReleased when --_left == 0:
                    _done!.SetResult();
                    break;
                case LockReleased:
                    _manager.Tell(new AcquireLock(Key, "bench", _left, TimeSpan.FromSeconds(10)), context.Self);
                    break;
            }

            return Task.CompletedTask;
        }
    }
}
