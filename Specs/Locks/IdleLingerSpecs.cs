using Akka.Actor;
using Akka.TestKit;
using LayerLock.Messages.Locks;
using Xunit;

namespace LayerLock.Specs.Locks;

/// <summary>An idle key's actor lingers for a while, so a hot key is not respawned on every cycle.</summary>
public sealed class IdleLingerSpecs() : LockManagerSpec(idleLinger: TimeSpan.FromMilliseconds(400))
{
    [Fact]
    public async Task A_key_used_again_within_the_linger_should_keep_its_actor()
    {
        var a = CreateProbe();
        var (first, lockActor, watcher) = await AcquireAndWatchKeyActorAsync(a);
        await ReleaseAsync(a, "node-a", first.Token);

        for (var cycle = 0; cycle < 20; cycle++)
        {
            var granted = await AcquireGrantedAsync(a, "node-a");
            Assert.Equal(lockActor, a.LastSender);
            await ReleaseAsync(a, "node-a", granted.Token);
        }

        Assert.Equal(0, Table.Count);
        await watcher.ExpectNoMsgAsync(Quiet / 3);
    }

    [Fact]
    public async Task A_key_left_idle_should_stop_its_actor_after_the_linger()
    {
        var a = CreateProbe();
        var (granted, lockActor, watcher) = await AcquireAndWatchKeyActorAsync(a);

        await ReleaseAsync(a, "node-a", granted.Token);

        await watcher.ExpectTerminatedAsync(lockActor, TimeSpan.FromSeconds(10));
        var again = await AcquireGrantedAsync(a, "node-a");
        Assert.NotEqual(lockActor, a.LastSender);
        Assert.True(again.Token > granted.Token);
    }

    [Fact]
    public async Task A_lingering_key_that_is_held_again_should_not_be_stopped()
    {
        var a = CreateProbe();
        var (granted, lockActor, watcher) = await AcquireAndWatchKeyActorAsync(a);
        await ReleaseAsync(a, "node-a", granted.Token);

        // Held across several sweeps: the sweep must see the key is in use, not merely idle-reported.
        var held = await AcquireGrantedAsync(a, "node-a");
        await watcher.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(1000));

        var b = CreateProbe();
        var queued = await AcquireQueuedAsync(b, "node-b");
        Assert.Equal(1, queued.Position);
        await ReleaseAsync(a, "node-a", held.Token);
        var next = await b.ExpectMsgAsync<LockGranted>();
        Assert.True(next.Token > held.Token);
    }

    /// <summary>Takes the lock as node-a and watches the key's actor from a probe of its own.</summary>
    private async Task<(LockGranted Granted, IActorRef LockActor, TestProbe Watcher)> AcquireAndWatchKeyActorAsync(TestProbe session)
    {
        var granted = await AcquireGrantedAsync(session, "node-a");
        var lockActor = session.LastSender!;
        var watcher = CreateProbe();
        watcher.Watch(lockActor);
        return (granted, lockActor, watcher);
    }
}
