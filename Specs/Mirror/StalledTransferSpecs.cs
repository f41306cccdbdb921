using Xunit;

namespace LayerLock.Specs.Mirror;

/// <summary>Stalled-holder protection end to end: a transfer that stops moving loses its lock, and the mirror aborts it.</summary>
public sealed class StalledTransferSpecs : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private MirrorRig _rig = null!;

    public async Task InitializeAsync() => _rig = await MirrorRig.StartAsync("layerlock.coordinator.stall.timeout = 1s");

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    [Fact]
    public async Task A_stalled_transfer_should_be_revoked_and_aborted()
    {
        using var response = await _rig.Containerd.GetAsync($"blobs/{FakeRegistry.Stalling}", HttpCompletionOption.ResponseHeadersRead);
        await _rig.Registry.StalledHalfway.Task.WaitAsync(Patience);

        var failover = await _rig.EndOfLockAsync(FakeRegistry.Stalling, "lock.failover");

        Assert.Contains("no transfer progress for", failover);
        // The mirror's progress reports reached the Coordinator before the stall (the first chunk's at once).
        Assert.DoesNotContain("(0 bytes so far)", failover);
        await using var body = await response.Content.ReadAsStreamAsync();
        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            var buffer = new byte[81920];
            while (await body.ReadAsync(buffer) > 0)
            {
            }
        });
    }
}
