using LayerLock.Actors;
using LayerLock.Coordinator.Locks;
using LayerLock.Coordinator.Sessions;

namespace LayerLock.Coordinator.Hosting;

/// <summary>
/// The Coordinator's live parts: token source, lock table, metrics, the LockManager actor and the
/// session registry. Built once at start; opening it advances the fencing epoch durably.
/// </summary>
internal sealed class CoordinatorRuntime
{
    public CoordinatorRuntime(ActorSystem system, CoordinatorSettings settings, ILoggerFactory loggers, TimeProvider time)
    {
        System = system;
        Settings = settings;
        Tokens = FencingTokenSource.Open(settings.StateDirectory);
        Table = new LockTable();
        Metrics = new CoordinatorMetrics();
        Services = new LockServices(Tokens, Table, Metrics, new LockLog(loggers.CreateLogger("LayerLock.Coordinator.Locks")), time)
        {
            StallTimeout = settings.StallTimeout,
            IdleLinger = settings.IdleLinger,
        };

        // A first start has no holders to wait for; a restart gives them the grace period to reclaim.
        var grace = Tokens.Epoch > 1 ? settings.RecoveryGrace : TimeSpan.Zero;
        Manager = system.Spawn(Props.FromProducer(() => new LockManager(Services, grace)), LockManager.Name);
        Sessions = new SessionRegistry(this, new SessionLog(loggers.CreateLogger("LayerLock.Coordinator.Sessions")));
    }

    public ActorSystem System { get; }

    public CoordinatorSettings Settings { get; }

    public FencingTokenSource Tokens { get; }

    public LockTable Table { get; }

    public CoordinatorMetrics Metrics { get; }

    public LockServices Services { get; }

    public ActorRef Manager { get; }

    public SessionRegistry Sessions { get; }
}
