using LayerLock.Coordinator.Locks;
using LayerLock.Messages.Locks;
using Xunit;

namespace LayerLock.Specs.Locks;

/// <summary>
/// The rate floor (<c>stall.min-rate</c> over <c>stall.window</c>, on by default): a holder whose
/// transfer moves, but slower than the floor for a window, is revoked and the next waiter granted.
/// Here the floor is 64 KiB/s over 2 s.
/// </summary>
public sealed class TricklingHolderSpecs() : LockManagerSpec(rateFloor: new RateFloor(64 * 1024, TimeSpan.FromSeconds(2)))
{
    [Fact]
    public async Task A_holder_that_trickles_below_the_floor_should_be_revoked_though_its_bytes_keep_growing()
    {
        var (a, b) = (CreateProbe(), CreateProbe());
        var granted = await AcquireGrantedAsync(a, "node-a");
        await AcquireQueuedAsync(b, "node-b");

        // 1 MiB at once, then 1 KiB every 250 ms (4 KiB/s): progress, but far below the floor.
        a.Send(Manager, new ReportProgress(Key, "node-a", granted.Token, 1024 * 1024));
        LockRevoked? revoked = null;
        for (var i = 1; i <= 40 && revoked is null; i++)
        {
            a.Send(Manager, new ReportProgress(Key, "node-a", granted.Token, (1024 * 1024) + (i * 1024)));
            revoked = await a.ReceiveOneAsync(TimeSpan.FromMilliseconds(250)) as LockRevoked;
        }

        Assert.NotNull(revoked);
        Assert.Equal(granted.Token, revoked.Token);
        Assert.StartsWith("transfer rate ", revoked.Reason);
        Assert.Contains("is below the floor of 64.0 KiB/s", revoked.Reason);
        Assert.True((await b.ExpectMsgAsync<LockGranted>()).Token > granted.Token);
        Assert.Contains(Log.Entries, e => e.EventName == "lock.failover" && e.Message.Contains("below the floor", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_holder_above_the_floor_should_keep_its_lock_across_windows()
    {
        var (a, b) = (CreateProbe(), CreateProbe());
        var granted = await AcquireGrantedAsync(a, "node-a");
        await AcquireQueuedAsync(b, "node-b");

        // 64 KiB every 250 ms = 256 KiB/s for 5 s: two and a half windows, four times the floor.
        for (var i = 1; i <= 20; i++)
        {
            a.Send(Manager, new ReportProgress(Key, "node-a", granted.Token, i * 64 * 1024));
            await a.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(250));
        }

        Assert.Equal("node-a", Table.Get(Key)!.Holder);
        Assert.Equal("node-b", (await ReleaseAsync(a, "node-a", granted.Token)).Next);
    }

    [Fact]
    public async Task A_holder_that_never_reports_progress_should_not_be_judged_by_the_rate()
    {
        // An HTTP client or a script holds the lock without transfer reports: its TTL protects the
        // queue, not the rate floor.
        var (a, b) = (CreateProbe(), CreateProbe());
        var granted = await AcquireGrantedAsync(a, "node-a");
        await AcquireQueuedAsync(b, "node-b");

        await a.ExpectNoMsgAsync(TimeSpan.FromSeconds(5));

        Assert.Equal("node-a", Table.Get(Key)!.Holder);
        Assert.Equal("node-b", (await ReleaseAsync(a, "node-a", granted.Token)).Next);
    }
}
