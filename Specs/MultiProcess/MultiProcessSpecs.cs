using LayerLock.Specs.Support;
using Xunit;

namespace LayerLock.Specs.MultiProcess;

/// <summary>Real processes on loopback: a Coordinator and three lock clients; "the process dies" is SIGKILL.</summary>
[Collection(nameof(MultiProcessSpecs))]
public sealed class MultiProcessSpecs
{
    private const string Key = "sha256:5555555555555555555555555555555555555555555555555555555555555555";
    private static readonly TimeSpan Patience = ProcessCluster.Patience;

    [Fact]
    public async Task When_the_holder_process_is_killed_the_next_waiter_should_be_granted_and_then_the_one_after()
    {
        await using var cluster = new ProcessCluster();
        await cluster.StartCoordinatorAsync();
        var a = cluster.StartLock(Key, "node-a");
        var tokenA = ProcessCluster.TokenOf(await a.WaitForLineAsync("granted", Patience));
        var b = cluster.StartLock(Key, "node-b");
        Assert.Equal("queued position=1 holder=node-a", await b.WaitForLineAsync("queued", Patience));
        var c = cluster.StartLock(Key, "node-c");
        Assert.Equal("queued position=2 holder=node-a", await c.WaitForLineAsync("queued", Patience));

        await a.KillAsync();

        var tokenB = ProcessCluster.TokenOf(await b.WaitForLineAsync("granted", Patience));
        Assert.True(tokenB > tokenA);
        Assert.False(c.HasPendingLine("granted"));
        b.CloseInput();
        Assert.EndsWith("next=node-c", await b.WaitForLineAsync("released", Patience));
        var tokenC = ProcessCluster.TokenOf(await c.WaitForLineAsync("granted", Patience));
        Assert.True(tokenC > tokenB);
        c.CloseInput();
        Assert.Equal(0, await c.WaitForExitAsync(Patience));

        var log = await File.ReadAllTextAsync(cluster.ServerLog);
        Assert.Contains($"lock.failover {Key} holder node-a token {tokenA}", log);
        Assert.Contains($"lock.acquired {Key} by node-b token {tokenB}", log);
    }

    [Fact]
    public async Task An_agent_restarted_on_its_fixed_port_should_register_again_without_help_and_queue_behind_the_new_holder()
    {
        await using var cluster = new ProcessCluster();
        await cluster.StartCoordinatorAsync();

        // The agent's end of the link on a fixed port, as a node with a firewall rule would have it.
        var samePort = $"--akka:remote:dot-netty:tcp:port={ChildProcess.FreePort()}";
        var a = cluster.StartLock(Key, "node-a", samePort);
        var tokenA = ProcessCluster.TokenOf(await a.WaitForLineAsync("granted", Patience));
        var b = cluster.StartLock(Key, "node-b");
        await b.WaitForLineAsync("queued", Patience);

        await a.KillAsync();
        var tokenB = ProcessCluster.TokenOf(await b.WaitForLineAsync("granted", Patience));

        // Same node, same host:port, a new incarnation (new UID): the Coordinator's association with
        // the dead one, and its gate, must not keep the new one out.
        var restarted = cluster.StartLock(Key, "node-a", samePort);
        Assert.Equal("queued position=1 holder=node-b", await restarted.WaitForLineAsync("queued", Patience));
        b.CloseInput();
        Assert.EndsWith("next=node-a", await b.WaitForLineAsync("released", Patience));
        var tokenA2 = ProcessCluster.TokenOf(await restarted.WaitForLineAsync("granted", Patience));
        Assert.True(tokenA2 > tokenB);
        Assert.True(tokenB > tokenA);
        restarted.CloseInput();
        Assert.Equal(0, await restarted.WaitForExitAsync(Patience));
    }

    [Fact]
    public async Task After_a_coordinator_crash_the_reconnecting_holder_should_keep_its_lock_and_the_waiter_wait_for_its_unlock()
    {
        await using var cluster = new ProcessCluster("--layerlock:coordinator:recovery:grace=5s");
        var coordinator = await cluster.StartCoordinatorAsync();
        var a = cluster.StartLock(Key, "node-a");
        var tokenA = ProcessCluster.TokenOf(await a.WaitForLineAsync("granted", Patience));
        var b = cluster.StartLock(Key, "node-b");
        await b.WaitForLineAsync("queued", Patience);

        await coordinator.KillAsync();
        var restarted = await cluster.StartCoordinatorAsync();
        await restarted.WaitForLineContainingAsync("recovery.ended", Patience);

        Assert.False(b.HasPendingLine("granted"), b.Transcript);
        Assert.False(a.HasExited, a.Transcript);
        var log = await File.ReadAllTextAsync(cluster.ServerLog);
        Assert.Contains($"lock.claimed {Key} by node-a token {tokenA} (recovered after a restart)", log);
        a.CloseInput();
        Assert.Equal($"released token={tokenA} success=true next=node-b", await a.WaitForLineAsync("released", Patience));
        var tokenB = ProcessCluster.TokenOf(await b.WaitForLineAsync("granted", Patience));
        Assert.True(tokenB > tokenA);
    }
}
