using LayerLock.Messages.Locks;
using Xunit;

namespace LayerLock.Specs.Locks;

public sealed class LockSemanticsSpecs : LockManagerSpec
{
    [Fact]
    public async Task Waiters_should_be_granted_in_arrival_order()
    {
        var (a, b, c) = (CreateProbe(), CreateProbe(), CreateProbe());
        var granted = await AcquireGrantedAsync(a, "node-a");
        Assert.Equal(1, (await AcquireQueuedAsync(b, "node-b")).Position);
        var queuedC = await AcquireQueuedAsync(c, "node-c");
        Assert.Equal(2, queuedC.Position);
        Assert.Equal("node-a", queuedC.Holder);

        Assert.Equal("node-b", (await ReleaseAsync(a, "node-a", granted.Token)).Next);
        var grantedB = await b.ExpectMsgAsync<LockGranted>();
        await c.ExpectNoMsgAsync(Quiet);
        Assert.Equal("node-c", (await ReleaseAsync(b, "node-b", grantedB.Token)).Next);
        var grantedC = await c.ExpectMsgAsync<LockGranted>();

        Assert.True(grantedB.Token > granted.Token);
        Assert.True(grantedC.Token > grantedB.Token);
    }

    [Fact]
    public async Task Unlock_with_failure_should_grant_the_next_waiter_and_log_the_failure_path()
    {
        var (a, b) = (CreateProbe(), CreateProbe());
        var granted = await AcquireGrantedAsync(a, "node-a");
        await AcquireQueuedAsync(b, "node-b");

        var released = await ReleaseAsync(a, "node-a", granted.Token, success: false, error: "digest mismatch");

        Assert.Equal("node-b", released.Next);
        await b.ExpectMsgAsync<LockGranted>();
        var entry = Assert.Single(Log.Entries, e => e.EventName == "lock.released");
        Assert.Contains("success False error digest mismatch", entry.Message);
        Assert.Contains("next node-b", entry.Message);
    }

    [Fact]
    public async Task Holder_session_Terminated_should_release_on_the_fail_path_and_grant_the_next_waiter()
    {
        var (a, b) = (CreateProbe(), CreateProbe());
        var granted = await AcquireGrantedAsync(a, "node-a");
        await AcquireQueuedAsync(b, "node-b");

        Sys.Stop(a.Ref);

        var grantedB = await b.ExpectMsgAsync<LockGranted>();
        Assert.True(grantedB.Token > granted.Token);
        var failover = Assert.Single(Log.Entries, e => e.EventName == "lock.failover");
        Assert.Contains("holder node-a", failover.Message);
        Assert.Contains("holder's connection ended: stopped", failover.Message);
        Assert.Equal(1, Metrics.Failovers);
    }

    [Fact]
    public async Task Waiter_session_Terminated_should_remove_it_so_it_is_never_granted()
    {
        var (a, b, c) = (CreateProbe(), CreateProbe(), CreateProbe());
        var granted = await AcquireGrantedAsync(a, "node-a");
        await AcquireQueuedAsync(b, "node-b");
        await AcquireQueuedAsync(c, "node-c");
        var watcher = CreateProbe();
        watcher.Watch(b.Ref);
        Sys.Stop(b.Ref);
        await watcher.ExpectTerminatedAsync(b.Ref);

        var released = await ReleaseAsync(a, "node-a", granted.Token);

        Assert.Equal("node-c", released.Next);
        await c.ExpectMsgAsync<LockGranted>();
    }

    [Fact]
    public async Task Asking_again_for_a_held_key_should_return_the_same_token()
    {
        var a = CreateProbe();
        var first = await AcquireGrantedAsync(a, "node-a");

        var again = await AcquireGrantedAsync(a, "node-a");

        Assert.Equal(first.Token, again.Token);
        Assert.Equal(1, Metrics.Grants);
    }

    [Fact]
    public async Task Asking_again_while_waiting_should_keep_the_queue_place()
    {
        var (a, b, c) = (CreateProbe(), CreateProbe(), CreateProbe());
        var granted = await AcquireGrantedAsync(a, "node-a");
        var firstAsk = await AcquireQueuedAsync(b, "node-b");
        await AcquireQueuedAsync(c, "node-c");

        var secondRequest = Acquire(b, "node-b", Long);

        var superseded = await b.ExpectMsgAsync<LockNotAcquired>();
        Assert.Equal((firstAsk.RequestId, "superseded"), (superseded.RequestId, superseded.Reason));
        Assert.Equal(1, (await b.ExpectMsgAsync<LockQueued>(q => q.RequestId == secondRequest)).Position);
        Assert.Equal("node-b", (await ReleaseAsync(a, "node-a", granted.Token)).Next);
        Assert.Equal(secondRequest, (await b.ExpectMsgAsync<LockGranted>()).RequestId);
    }

    [Fact]
    public async Task Unlock_by_a_non_holder_or_with_a_stale_token_should_be_refused_and_change_nothing()
    {
        var (a, b) = (CreateProbe(), CreateProbe());
        var granted = await AcquireGrantedAsync(a, "node-a");
        await AcquireQueuedAsync(b, "node-b");

        b.Send(Manager, new ReleaseLock(Key, "node-b", granted.Token, true));
        var notHolder = await b.ExpectMsgAsync<LockRefused>();
        a.Send(Manager, new ReleaseLock(Key, "node-a", granted.Token - 1, true));
        var stale = await a.ExpectMsgAsync<LockRefused>();

        Assert.Equal(("node-b is not the holder", "node-a"), (notHolder.Reason, notHolder.Holder));
        Assert.Equal($"token {granted.Token - 1} is stale", stale.Reason);
        var snapshot = Table.Get(Key)!;
        Assert.Equal(("node-a", granted.Token), (snapshot.Holder, snapshot.Token));
        Assert.Equal(["node-b"], snapshot.Waiters);
        await b.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Cancel_should_end_a_wait_and_take_it_out_of_the_queue()
    {
        var (a, b) = (CreateProbe(), CreateProbe());
        var granted = await AcquireGrantedAsync(a, "node-a");
        var queued = await AcquireQueuedAsync(b, "node-b");

        b.Send(Manager, new CancelWait(Key, "node-b", queued.RequestId));

        Assert.Equal("cancelled", (await b.ExpectMsgAsync<LockNotAcquired>()).Reason);
        Assert.Null((await ReleaseAsync(a, "node-a", granted.Token)).Next);
        await b.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Try_lock_should_never_queue()
    {
        var (a, b) = (CreateProbe(), CreateProbe());
        var granted = await AcquireGrantedAsync(a, "node-a");

        var requestId = Acquire(b, "node-b", TimeSpan.Zero);

        var busy = await b.ExpectMsgAsync<LockNotAcquired>();
        Assert.Equal((requestId, "busy", "node-a", 0), (busy.RequestId, busy.Reason, busy.Holder, busy.Waiters));
        Assert.Null((await ReleaseAsync(a, "node-a", granted.Token)).Next);
    }

    [Fact]
    public async Task Try_lock_on_a_free_key_should_grant()
    {
        var a = CreateProbe();

        var requestId = Acquire(a, "node-a", TimeSpan.Zero);

        Assert.Equal(requestId, (await a.ExpectMsgAsync<LockGranted>()).RequestId);
    }

    [Fact]
    public async Task A_wait_should_end_with_timeout_after_its_wait_time()
    {
        var (a, b) = (CreateProbe(), CreateProbe());
        var granted = await AcquireGrantedAsync(a, "node-a");

        var requestId = Acquire(b, "node-b", TimeSpan.FromMilliseconds(200));
        await b.ExpectMsgAsync<LockQueued>();

        var timedOut = await b.ExpectMsgAsync<LockNotAcquired>();
        Assert.Equal((requestId, "timeout", "node-a"), (timedOut.RequestId, timedOut.Reason, timedOut.Holder));
        Assert.Null((await ReleaseAsync(a, "node-a", granted.Token)).Next);
    }

    [Fact]
    public async Task Tokens_should_strictly_increase_across_keys()
    {
        var a = CreateProbe();
        var tokens = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            var key = $"sha256:{i:D64}";
            var granted = await AcquireGrantedAsync(a, "node-a", key);
            tokens.Add(granted.Token);
            await ReleaseAsync(a, "node-a", granted.Token, key: key);
        }

        Assert.Equal(tokens.Order(), tokens);
        Assert.Equal(5, tokens.Distinct().Count());
    }

    [Fact]
    public async Task An_idle_key_should_stop_its_actor_and_leave_the_table()
    {
        var a = CreateProbe();
        var granted = await AcquireGrantedAsync(a, "node-a");
        var lockActor = a.LastSender!;
        Assert.Equal($"/user/lock-manager/{Key}", lockActor.Path.ToStringWithoutAddress());

        // A probe of its own: Terminated overtakes user messages in a mailbox it shares.
        var watcher = CreateProbe();
        watcher.Watch(lockActor);
        watcher.Send(Manager, new LayerLock.Messages.Locks.CancelWait("sync-key", "nobody", 0));
        await watcher.ExpectMsgAsync<LayerLock.Messages.Locks.LockRefused>();

        await ReleaseAsync(a, "node-a", granted.Token);

        await watcher.ExpectTerminatedAsync(lockActor);
        Assert.Equal(0, Table.Count);
        var again = await AcquireGrantedAsync(a, "node-a");
        Assert.NotEqual(lockActor, a.LastSender);
        Assert.True(again.Token > granted.Token);
    }

    [Fact]
    public async Task Keys_that_are_not_actor_names_should_still_get_their_own_lock()
    {
        var a = CreateProbe();

        await AcquireGrantedAsync(a, "node-a", "docker.io/library/busybox latest");

        Assert.Equal("/user/lock-manager/docker.io%2Flibrary%2Fbusybox%20latest", a.LastSender!.Path.ToStringWithoutAddress());
    }

    [Fact]
    public async Task The_table_should_show_holder_and_waiters_in_order()
    {
        var (a, b, c) = (CreateProbe(), CreateProbe(), CreateProbe());
        var granted = await AcquireGrantedAsync(a, "node-a");
        await AcquireQueuedAsync(b, "node-b");
        await AcquireQueuedAsync(c, "node-c");

        var snapshot = Table.Get(Key)!;

        Assert.Equal(("node-a", granted.Token), (snapshot.Holder, snapshot.Token));
        Assert.Equal(["node-b", "node-c"], snapshot.Waiters);
        var metrics = await ScrapeMetricsAsync();
        Assert.Contains("layerlock_holders 1\n", metrics);
        Assert.Contains("layerlock_queue_depth 2\n", metrics);
        Assert.Contains("layerlock_grants_total 1\n", metrics);
    }
}
