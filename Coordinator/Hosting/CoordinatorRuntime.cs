using Akka.Actor;
using LayerLock.Coordinator.Agents;
using LayerLock.Coordinator.Dashboard;
using LayerLock.Coordinator.Http;
using LayerLock.Coordinator.Locks;

namespace LayerLock.Coordinator.Hosting;

/// <summary>
/// The Coordinator's shared parts: token source, lock table, metrics, the services every lock actor
/// gets. Built once at start; opening it advances the fencing epoch
/// durably. The actors themselves are started by Akka.Hosting (<see cref="CoordinatorHost"/>),
/// which attaches the ActorSystem and the lock manager here.
/// </summary>
internal sealed class CoordinatorRuntime
{
    private IActorRef? _manager;
    private ActorSystem? _system;

    public CoordinatorRuntime(CoordinatorSettings settings, ILoggerFactory loggers, TimeProvider time)
    {
        Settings = settings;
        Tokens = FencingTokenSource.Open(settings.StateDirectory);
        Table = new LockTable();
        Metrics = new CoordinatorMetrics();
        Services = new LockServices(Tokens, Table, Metrics, new LockLog(loggers.CreateLogger("LayerLock.Coordinator.Locks")), time)
        {
            AgentLog = new AgentLog(loggers.CreateLogger("LayerLock.Coordinator.Agents")),
            AgentSecret = settings.AuthToken,
            StallTimeout = settings.StallTimeout,
            RateFloor = settings.RateFloor,
            Uploads = new UploadSlots(settings.PeersMaxUploads),
            IdleLinger = settings.IdleLinger,
        };
        Metrics.ReadAtScrape(Services);

        DashboardLog = new DashboardLog(loggers.CreateLogger("LayerLock.Coordinator.Dashboard"));

        // A first start has no holders to wait for; a restart gives them the grace period to reclaim.
        RecoveryGrace = Tokens.Epoch > 1 ? settings.RecoveryGrace : TimeSpan.Zero;
    }

    public CoordinatorSettings Settings { get; }

    public FencingTokenSource Tokens { get; }

    public LockTable Table { get; }

    public CoordinatorMetrics Metrics { get; }

    public LockServices Services { get; }

    public TimeSpan RecoveryGrace { get; }

    /// <summary>The live page's events.</summary>
    public DashboardLog DashboardLog { get; }

    /// <summary>The <c>POST /lock</c> requests waiting for their answer.</summary>
    public HttpPendingRequests HttpRequests { get; } = new();

    public ActorSystem System => _system ?? throw new InvalidOperationException("the actor system has not started yet");

    /// <summary><c>/user/lock-manager</c>.</summary>
    public IActorRef Manager => _manager ?? throw new InvalidOperationException("the lock manager has not started yet");

    /// <summary>Starts the top-level actors; called once by Akka.Hosting as the ActorSystem starts.</summary>
    public void StartActors(ActorSystem system, Akka.Hosting.IActorRegistry registry)
    {
        _system = system;

        // The live page's feed first, so it sees the first transitions; then every transition the
        // lock and session actors log is also published on the event stream.
        registry.Register<DashboardFeed>(system.ActorOf(DashboardFeed.Props(Services, Settings.AuthToken is not null, Settings.PageStallTimeout, DashboardLog), DashboardFeed.Name));
        Services.Log.Events = system.EventStream;
        Services.AgentLog.Events = system.EventStream;
        var agents = system.ActorOf(AgentDirectory.Props(Services), AgentDirectory.Name);
        _manager = system.ActorOf(LockManager.Props(Services, RecoveryGrace, agents), LockManager.Name);
        registry.Register<LockManager>(_manager);
        registry.Register<HttpLockOwner>(system.ActorOf(HttpLockOwner.Props(HttpRequests, _manager), HttpLockOwner.SharedName));
    }
}
