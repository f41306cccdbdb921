using LayerLock.Messages.Locks;
using Xunit;

namespace LayerLock.Specs.Locks;

public sealed class StalledHolderSpecs() : LockManagerSpec(stallTimeout: TimeSpan.FromSeconds(3))
{
    [Fact]
    public async Task A_holder_without_progress_should_be_revoked_and_the_next_waiter_granted()
    {
        var (a, b) = (CreateProbe(), CreateProbe());
        var granted = await AcquireGrantedAsync(a, "node-a");
        await AcquireQueuedAsync(b, "node-b");

        var revoked = await a.ExpectMsgAsync<LockRevoked>();

        Assert.Equal(granted.Token, revoked.Token);
        Assert.StartsWith("no transfer progress for", revoked.Reason);
        Assert.True((await b.ExpectMsgAsync<LockGranted>()).Token > granted.Token);
        Assert.Contains(Log.Entries, e => e.EventName == "lock.failover" && e.Message.Contains("no transfer progress", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_holder_that_reports_progress_should_keep_its_lock()
    {
        var (a, b) = (CreateProbe(), CreateProbe());
        var granted = await AcquireGrantedAsync(a, "node-a");
        await AcquireQueuedAsync(b, "node-b");

        // Progress every 250 ms for 4 s: longer than the 3 s stall timeout, with a margin that
        // survives a starved thread pool (a full parallel suite once held the loop up 1.3 s).
        for (var bytes = 1; bytes <= 16; bytes++)
        {
            a.Send(Manager, new ReportProgress(Key, "node-a", granted.Token, bytes * 65536));
            await a.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(250));
        }

        Assert.Equal("node-a", Table.Get(Key)!.Holder);
        await b.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(50));
        Assert.Equal("node-b", (await ReleaseAsync(a, "node-a", granted.Token)).Next);
    }

    [Fact]
    public async Task Progress_that_does_not_grow_should_not_count()
    {
        var a = CreateProbe();
        var granted = await AcquireGrantedAsync(a, "node-a");

        for (var i = 0; i < 5; i++)
        {
            a.Send(Manager, new ReportProgress(Key, "node-a", granted.Token, 4096));
        }

        Assert.Equal(granted.Token, (await a.ExpectMsgAsync<LockRevoked>()).Token);
    }
}
