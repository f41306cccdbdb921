using Akka.Actor;
using LayerLock.Coordinator.Locks;

namespace LayerLock.Specs.Locks.Contract;

/// <summary>The contract against the LockManager actor, in process.</summary>
public sealed class InProcessLockContractSpecs : LockContractSpecs
{
    private readonly ActorSystem _system = ActorSystem.Create("contract", "akka.loglevel = WARNING");
    private readonly LockTable _table = new();
    private IActorRef _manager = null!;

    private protected override LockTable Table => _table;

    public override Task InitializeAsync()
    {
        var services = new LockServices(FencingTokenSource.InMemory(), _table, new CoordinatorMetrics(), LockLog.None, TimeProvider.System);
        _manager = _system.ActorOf(LockManager.Props(services, TimeSpan.Zero), LockManager.Name);
        return Task.CompletedTask;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _system.Terminate();
    }

    protected override Task<ILockClient> ConnectClientAsync(string node) =>
        Task.FromResult<ILockClient>(new InProcessLockClient(_system, _manager, node));
}

/// <summary>The contract against a real Coordinator started for each spec.</summary>
public abstract class RunningCoordinatorContractSpecs : LockContractSpecs
{
    private RunningCoordinator _coordinator = null!;

    private protected Uri BaseAddress => _coordinator.BaseAddress;

    private protected override LockTable Table => _coordinator.Table;

    public override async Task InitializeAsync() => _coordinator = await RunningCoordinator.StartAsync();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _coordinator.DisposeAsync();
    }
}

/// <summary>The contract against a running Coordinator over Akka.Remote, through the agent's link.</summary>
public sealed class RemoteLockContractSpecs : RunningCoordinatorContractSpecs
{
    protected override async Task<ILockClient> ConnectClientAsync(string node) =>
        await RemoteLockClient.ConnectAsync(BaseAddress, node);
}

/// <summary>The contract against a running Coordinator over the HTTP API.</summary>
public sealed class HttpLockContractSpecs : RunningCoordinatorContractSpecs
{
    protected override Task<ILockClient> ConnectClientAsync(string node) =>
        Task.FromResult<ILockClient>(new HttpLockClient(BaseAddress, node));
}
