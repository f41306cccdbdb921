using LayerLock.Specs.Locks.Contract;
using LayerLock.Specs.Support;
using Xunit;

namespace LayerLock.Specs.MultiProcess;

/// <summary>
/// A <c>NodeAgent lock</c> process in a network namespace of its own holds a lock when its
/// Akka.Remote link is cut silently (no FIN, no RST): the Coordinator's watch failure detector
/// ends the agent's session and fails the lock over (about 3 s), and the cut agent learns that
/// the lock is no longer its own — after its lease grace, or when the link returns (the
/// Coordinator has quarantined its ActorSystem; the agent's link starts a new one, which
/// re-registers by itself and has its stale claim refused).
/// </summary>
[Collection(nameof(MultiProcessSpecs))]
public sealed class NetworkCutSpecs : IAsyncLifetime
{
    private const string Key = "sha256:6666666666666666666666666666666666666666666666666666666666666666";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _logs = new();
    private NetworkNamespace _network = null!;
    private RunningCoordinator _coordinator = null!;

    public async Task InitializeAsync()
    {
        _network = NetworkNamespace.Create();
        try
        {
            // HTTP and Akka.Remote both on the host end of the veth pair, the one address the
            // namespace can reach.
            _coordinator = await RunningCoordinator.StartAsync($"""
                layerlock.coordinator.addr = "{_network.HostAddress}:1"
                akka.remote.dot-netty.tcp.hostname = "{_network.HostAddress}"
                akka.remote.dot-netty.tcp.port = 0
                """);
        }
        catch
        {
            _network.Dispose();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        try
        {
            await _coordinator.DisposeAsync();
        }
        finally
        {
            _network.Dispose();
            _logs.Dispose();
        }
    }

    [Fact]
    public async Task A_cut_holder_should_be_failed_over_and_when_the_link_returns_re_register_by_itself_and_have_its_stale_claim_refused()
    {
        await using var cut = StartHolder(leaseGrace: "60s");
        var token = ProcessCluster.TokenOf(await cut.WaitForLineAsync("granted", Patience));
        await using var waiter = await RemoteLockClient.ConnectAsync(_coordinator.BaseAddress, "node-b");
        var waiting = await waiter.LockAsync(Key, TimeSpan.FromMinutes(1));
        await _coordinator.Table.WaitUntilAsync(t => t.Get(Key)?.Waiters.Contains("node-b") == true, Patience);
        var sessionsOfA = SessionsOpened("node-a");

        _network.Cut();

        // The watch failure detector's bound is about 3 s; 15 s leaves room for a loaded machine.
        var granted = await waiting.Outcome.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.True(granted.Acquired);
        Assert.True(granted.Token > token);
        Assert.Contains(_coordinator.LogLines, l => l.StartsWith("lock.failover", StringComparison.Ordinal) && l.Contains("\"node-a\"", StringComparison.Ordinal));

        _network.Restore();

        var lost = await cut.WaitForLineAsync("lost", Patience);
        Assert.Contains("node-a is not the holder", lost);
        Assert.False(cut.HasPendingLine("released"), cut.Transcript);
        Assert.Equal("node-b", _coordinator.Table.Get(Key)!.Holder);
        Assert.Equal(granted.Token, _coordinator.Table.Get(Key)!.Token);

        // No operator: the agent registered again by itself after the link returned — through a new
        // ActorSystem when the Coordinator's watcher had quarantined the old one (session.quarantined
        // in the agent's log), or on the same one when the association was only gated; which of the
        // two happens depends on who noticed the cut first, so the spec asserts the outcome.
        await WaitUntilAsync(() => SessionsOpened("node-a") > sessionsOfA, "a new session.opened for node-a after the link returned");
    }

    [Fact]
    public async Task A_cut_holder_should_give_its_lock_up_by_itself_after_the_lease_grace()
    {
        await using var cut = StartHolder(leaseGrace: "2s");
        await cut.WaitForLineAsync("granted", Patience);

        _network.Cut();

        var lost = await cut.WaitForLineAsync("lost", Patience);
        Assert.Contains("no session with the coordinator for 2000 ms", lost);
        await _coordinator.Table.WaitUntilAsync(t => t.Get(Key) is null, Patience);
    }

    private int SessionsOpened(string node) =>
        _coordinator.LogLines.Count(l => l.StartsWith("session.opened", StringComparison.Ordinal) && l.Contains($"\"{node}\"", StringComparison.Ordinal));

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var deadline = new CancellationTokenSource(Patience);
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (!condition())
        {
            if (!await tick.WaitForNextTickAsync(CancellationToken.None) || deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"no {what} within {Patience}");
            }
        }
    }

    private ChildProcess StartHolder(string leaseGrace) =>
        ChildProcess.StartIn(
            _network.Name,
            "NodeAgent",
            "lock", Key,
            "--coordinator", _coordinator.BaseAddress.ToString(),
            "--node", "node-a",
            "--log-dir", _logs.Path,
            $"--akka:remote:dot-netty:tcp:hostname={_network.InsideAddress}",
            $"--layerlock:agent:lease-grace={leaseGrace}",
            "--layerlock:agent:reconnect:initial=100ms",
            "--layerlock:agent:reconnect:max=500ms");
}
