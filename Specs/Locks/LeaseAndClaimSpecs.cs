using LayerLock.Coordinator.Locks;
using LayerLock.Messages.Locks;
using Xunit;

namespace LayerLock.Specs.Locks;

public sealed class LeaseAndClaimSpecs : LockManagerSpec
{
    [Fact]
    public async Task A_lease_without_keepalive_should_expire_on_the_fail_path_and_tell_the_holder()
    {
        var (a, b) = (CreateProbe(), CreateProbe());
        var granted = await AcquireGrantedAsync(a, "node-a", ttl: TimeSpan.FromMilliseconds(200));
        await AcquireQueuedAsync(b, "node-b");

        var lost = await a.ExpectMsgAsync<LockRevoked>();

        Assert.Equal((granted.Token, "lease expired"), (lost.Token, lost.Reason));
        await b.ExpectMsgAsync<LockGranted>();
        Assert.Contains(Log.Entries, e => e.EventName == "lock.failover" && e.Message.Contains("lease expired"));
    }

    [Fact]
    public async Task Keepalive_should_renew_the_lease_and_be_refused_for_a_stale_token()
    {
        // Renewed every 250 ms for 3 s: one and a half times the 2 s lease. A starved thread pool
        // in the parallel suite once held a renewal back over a 1 s lease; 2 s leaves 1.75 s.
        var a = CreateProbe();
        var granted = await AcquireGrantedAsync(a, "node-a", ttl: TimeSpan.FromSeconds(2));

        for (var i = 0; i < 12; i++)
        {
            a.Send(Manager, new KeepLockAlive(Key, "node-a", granted.Token));
            Assert.Equal(TimeSpan.FromSeconds(2), (await a.ExpectMsgAsync<LockKeptAlive>()).Ttl);
            await a.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(250));
        }

        a.Send(Manager, new KeepLockAlive(Key, "node-a", granted.Token + 1));
        Assert.Equal($"token {granted.Token + 1} is stale", (await a.ExpectMsgAsync<LockRefused>()).Reason);
        Assert.Equal("lease expired", (await a.ExpectMsgAsync<LockRevoked>()).Reason);
    }

    [Fact]
    public async Task A_new_session_of_the_holder_should_take_the_lock_over_without_a_failover()
    {
        var (oldSession, newSession, b) = (CreateProbe(), CreateProbe(), CreateProbe());
        var granted = await AcquireGrantedAsync(oldSession, "node-a");
        await AcquireQueuedAsync(b, "node-b");

        newSession.Send(Manager, new ClaimLock(Key, "node-a", granted.Token));
        await newSession.ExpectMsgAsync<ClaimAccepted>();
        Services.EndReasons.Record(oldSession.Ref, "replaced by a new session");
        Sys.Stop(oldSession.Ref);

        await b.ExpectNoMsgAsync(Quiet);
        Assert.Equal("node-b", (await ReleaseAsync(newSession, "node-a", granted.Token)).Next);
        await b.ExpectMsgAsync<LockGranted>();
        Assert.DoesNotContain(Log.Entries, e => e.EventName == "lock.failover");
    }

    [Fact]
    public async Task A_holder_whose_owner_ends_should_fail_over_to_the_next_waiter_with_the_owners_reason()
    {
        var (session, b) = (CreateProbe(), CreateProbe());
        await AcquireGrantedAsync(session, "node-a");
        await AcquireQueuedAsync(b, "node-b");

        Services.EndReasons.Record(session.Ref, "keep-alive timeout");
        Sys.Stop(session.Ref);

        await b.ExpectMsgAsync<LockGranted>();
        Assert.Contains(Log.Entries, e => e.EventName == "lock.failover" && e.Message.Contains("holder's connection ended: keep-alive timeout"));
    }

    [Fact]
    public async Task A_claim_with_a_wrong_token_should_be_rejected_and_change_nothing()
    {
        var (a, intruder) = (CreateProbe(), CreateProbe());
        var granted = await AcquireGrantedAsync(a, "node-a");

        intruder.Send(Manager, new ClaimLock(Key, "node-a", granted.Token + 7));

        Assert.Equal("node-a", (await intruder.ExpectMsgAsync<ClaimRejected>()).Holder);
        Assert.Null((await ReleaseAsync(a, "node-a", granted.Token)).Next);
    }
}

// A 2 s grace: the specs' first requests must land inside it, and starved thread pools in the
// parallel suite have held a spec back for over a second.
public sealed class RecoverySpecs() : LockManagerSpec(recoveryGrace: TimeSpan.FromSeconds(2), tokens: FencingTokenSource.InMemory(epoch: 2))
{
    private static readonly long TokenOfEarlierRun = (1L << FencingTokenSource.CounterBits) + 41;

    [Fact]
    public async Task During_the_grace_period_a_claimed_key_should_stay_with_its_holder_and_waiters_wait()
    {
        var (a, b) = (CreateProbe(), CreateProbe());

        a.Send(Manager, new ClaimLock(Key, "node-a", TokenOfEarlierRun));
        await a.ExpectMsgAsync<ClaimAccepted>();
        await AcquireQueuedAsync(b, "node-b");
        await b.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(2200));

        Assert.Equal("node-b", (await ReleaseAsync(a, "node-a", TokenOfEarlierRun)).Next);
        var granted = await b.ExpectMsgAsync<LockGranted>();
        Assert.True(granted.Token > Tokens.EpochStart);
    }

    [Fact]
    public async Task During_the_grace_period_nothing_new_should_be_granted_and_after_it_unclaimed_keys_are_free()
    {
        var a = CreateProbe();

        var tryId = Acquire(a, "node-a", TimeSpan.Zero);
        var notDuringRecovery = await a.ExpectMsgAsync<LockNotAcquired>();
        Assert.Equal((tryId, "recovering"), (notDuringRecovery.RequestId, notDuringRecovery.Reason));
        await AcquireQueuedAsync(a, "node-a");

        var granted = await a.ExpectMsgAsync<LockGranted>(duration: TimeSpan.FromSeconds(10));
        Assert.True(granted.Token > Tokens.EpochStart);
        Assert.Contains(Log.Entries, e => e.EventName == "recovery.ended");
    }

    [Fact]
    public async Task A_claimed_token_above_the_current_range_should_raise_every_later_token()
    {
        var (a, b) = (CreateProbe(), CreateProbe());
        var fromTheFuture = (5L << FencingTokenSource.CounterBits) + 3;

        a.Send(Manager, new ClaimLock(Key, "node-a", fromTheFuture));
        await a.ExpectMsgAsync<ClaimAccepted>();
        await ReleaseAsync(a, "node-a", fromTheFuture);

        Acquire(b, "node-b", Long);

        var granted = await b.FishForMessageAsync<LockGranted>(_ => true, TimeSpan.FromSeconds(10));
        Assert.True(granted.Token > fromTheFuture);
    }
}
