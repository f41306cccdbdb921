using LayerLock.LoadDriver.Systems;
using LayerLock.Specs.Locks.Contract;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace LayerLock.Specs.Bench;

/// <summary>The load driver's <c>layerlock-remote</c> adapter: many clients in one ActorSystem, each its own node and session.</summary>
public sealed class LayerLockRemoteSystemSpecs
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Killed_client_should_have_its_lock_failed_over_while_the_other_clients_of_its_ActorSystem_go_on()
    {
        await using var coordinator = await RunningCoordinator.StartAsync();
        var options = new LockSystemOptions(coordinator.BaseAddress.ToString(), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(1));
        await using var system = LockSystems.Create(LockSystems.LayerLockRemote, options, NullLogger.Instance);
        using var timeout = new CancellationTokenSource(Bound);
        await using var holder = await system.ConnectAsync("bench-holder", timeout.Token);
        await using var waiter = await system.ConnectAsync("bench-waiter", timeout.Token);
        await using var bystander = await system.ConnectAsync("bench-bystander", timeout.Token);

        await holder.AcquireAsync("layer/a", timeout.Token);
        var waiting = waiter.AcquireAsync("layer/a", timeout.Token);
        await coordinator.Table.WaitUntilAsync(table => table.Get("layer/a")?.Waiters.Contains("bench-waiter") == true, Bound);
        Assert.False(waiting.IsCompleted);

        await holder.KillAsync();

        var granted = await waiting.WaitAsync(timeout.Token);
        Assert.Equal("layer/a", granted.Key);
        Assert.Contains(coordinator.LogLines, l => l.Contains("lock.failover", StringComparison.Ordinal) && l.Contains("bench-holder", StringComparison.Ordinal) && l.Contains("lock client stopped", StringComparison.Ordinal));
        await waiter.ReleaseAsync(granted, timeout.Token);
        var other = await bystander.AcquireAsync("layer/b", timeout.Token);
        await bystander.ReleaseAsync(other, timeout.Token);
    }
}
