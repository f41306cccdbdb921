using LayerLock.Specs.Locks.Contract;
using LayerLock.Specs.Support;
using Xunit;

namespace LayerLock.Specs.MultiProcess;

/// <summary>
/// An agent in a network namespace of its own holds a lock when its link is cut silently (no
/// FIN, no RST): the Coordinator fails the lock over within keep-alive interval + timeout, and
/// the cut agent learns that the lock is no longer its own.
/// </summary>
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
        _coordinator = await RunningCoordinator.StartAsync($"layerlock.coordinator.addr = \"{_network.HostAddress}:1\"");
    }

    public async Task DisposeAsync()
    {
        await _coordinator.DisposeAsync();
        _network.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task A_cut_holder_should_be_failed_over_and_have_its_stale_token_refused_when_the_link_returns()
    {
        await using var cut = StartHolder(leaseGrace: "60s");
        var token = await cut.WaitForLineAsync("granted", Patience);
        await using var waiter = await RemoteLockClient.ConnectAsync(_coordinator.BaseAddress, "node-b");
        var waiting = await waiter.LockAsync(Key, TimeSpan.FromMinutes(1));
        await _coordinator.Table.WaitUntilAsync(t => t.Get(Key)?.Waiters.Contains("node-b") == true, Patience);

        _network.Cut();

        // Keep-alive interval 1 s + timeout 2 s, with room for a loaded machine.
        var granted = await waiting.Outcome.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.True(granted.Acquired);
        Assert.Contains(_coordinator.LogLines, l => l.StartsWith("lock.failover", StringComparison.Ordinal) && l.Contains("\"node-a\"", StringComparison.Ordinal));

        _network.Restore();

        var lost = await cut.WaitForLineAsync("lost", Patience);
        Assert.Contains("node-a is not the holder", lost);
        Assert.False(cut.HasPendingLine("released"), cut.Transcript);
        Assert.Equal("node-b", _coordinator.Table.Get(Key)!.Holder);
        Assert.NotEmpty(token);
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

    private ChildProcess StartHolder(string leaseGrace) =>
        ChildProcess.StartIn(
            _network.Name,
            "NodeAgent",
            "lock", Key,
            "--coordinator", _coordinator.BaseAddress.ToString(),
            "--node", "node-a",
            "--log-dir", _logs.Path,
            $"--layerlock:agent:lease-grace={leaseGrace}",
            "--layerlock:agent:reconnect:initial=100ms",
            "--layerlock:agent:reconnect:max=500ms");
}
