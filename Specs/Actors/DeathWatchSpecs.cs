using LayerLock.Actors;
using LayerLock.Specs.Support;
using Xunit;

namespace LayerLock.Specs.Actors;

public sealed class DeathWatchSpecs : ActorSpec
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task Watcher_should_get_Terminated_exactly_once_when_watchee_stops()
    {
        var probe = CreateProbe();
        var watchee = Sys.Spawn(Props.Create<EchoActor>(), "watchee");
        probe.Watch(watchee);
        probe.Watch(watchee);

        // A round trip through the probe's mailbox: both watch commands are handled before the stop.
        probe.Send(watchee, "sync");
        await probe.ExpectMsgAsync("sync");
        Sys.Stop(watchee);
        Sys.Stop(watchee);

        var terminated = await probe.ExpectTerminatedAsync(watchee);
        Assert.Equal("stopped", terminated.Reason);
        await probe.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Watcher_should_get_Terminated_at_once_when_watchee_is_already_dead()
    {
        var first = CreateProbe();
        var watchee = Sys.Spawn(Props.Create<EchoActor>(), "watchee");
        first.Watch(watchee);
        Sys.Stop(watchee);
        await first.ExpectTerminatedAsync(watchee);

        var late = CreateProbe();
        late.Watch(watchee);

        await late.ExpectTerminatedAsync(watchee);
        await late.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Unwatch_should_drop_a_Terminated_that_is_already_pending()
    {
        var probe = CreateProbe();
        var watchee = Sys.Spawn(Props.Create<EchoActor>(), "watchee");
        var watcheeGone = CreateProbe();
        watcheeGone.Watch(watchee);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inHandler = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watcher = Sys.Spawn(DelegateActor.Props(async context =>
        {
            switch (context.Message)
            {
                case "watch":
                    context.Watch(watchee);
                    context.Respond("watching");
                    break;
                case "unwatch-after-gate":
                    // The watchee dies while this handler waits, so its Terminated is pending here.
                    inHandler.SetResult();
                    await gate.Task;
                    context.Unwatch(watchee);
                    context.Respond("unwatched");
                    break;
                case Terminated terminated:
                    probe.Ref.Tell(terminated);
                    break;
            }
        }), "watcher");

        watcher.Tell("watch", probe.Ref);
        await probe.ExpectMsgAsync("watching");
        watcher.Tell("unwatch-after-gate", probe.Ref);
        await inHandler.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Sys.Stop(watchee);
        await watcheeGone.ExpectTerminatedAsync(watchee);
        gate.SetResult();

        await probe.ExpectMsgAsync("unwatched");
        await probe.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Stopping_a_parent_should_stop_its_children_first()
    {
        var probe = CreateProbe();
        var stopOrder = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var parent = Sys.Spawn(DelegateActor.Props(context =>
        {
            switch (context.Message)
            {
                case Started:
                    context.Spawn(DelegateActor.Props(child =>
                    {
                        if (child.Message is Stopped)
                        {
                            stopOrder.Enqueue(child.Self.Path);
                        }
                    }), "child");
                    break;
                case Stopped:
                    stopOrder.Enqueue(context.Self.Path);
                    break;
                case "child?":
                    context.Respond(context.GetChild("child")!);
                    break;
            }
        }), "parent");
        var child = await parent.Ask<ActorRef>("child?", TimeSpan.FromSeconds(5));
        probe.Watch(child);
        probe.Watch(parent);

        Sys.Stop(parent);

        await probe.ExpectTerminatedAsync(child);
        await probe.ExpectTerminatedAsync(parent);
        Assert.Equal(["/user/parent/child", "/user/parent"], stopOrder);
    }

    [Fact]
    public async Task Parent_should_get_Terminated_when_a_child_stops()
    {
        var probe = CreateProbe();
        var parent = Sys.Spawn(DelegateActor.Props(context =>
        {
            switch (context.Message)
            {
                case "spawn":
                    context.Respond(context.Spawn(Props.Create<EchoActor>(), "child"));
                    break;
                case Terminated terminated:
                    probe.Ref.Tell(terminated);
                    break;
            }
        }), "parent");
        var child = await parent.Ask<ActorRef>("spawn", TimeSpan.FromSeconds(5));

        Sys.Stop(child);

        var terminated = await probe.ExpectMsgAsync<Terminated>();
        Assert.Same(child, terminated.Actor);
        await probe.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task A_child_name_should_be_free_again_once_the_parent_got_its_Terminated()
    {
        var probe = CreateProbe();
        var parent = Sys.Spawn(DelegateActor.Props(context =>
        {
            switch (context.Message)
            {
                case "spawn":
                    try
                    {
                        context.Respond(context.Spawn(Props.Create<EchoActor>(), "sha256:abc"));
                    }
                    catch (InvalidOperationException taken)
                    {
                        context.Respond(taken.Message);
                    }

                    break;
                case Terminated terminated:
                    probe.Ref.Tell(terminated);
                    break;
            }
        }), "lock-manager");

        var first = await parent.Ask<ActorRef>("spawn", TimeSpan.FromSeconds(5));
        Assert.Equal("/user/lock-manager/sha256:abc", first.Path);
        var refused = await parent.Ask<string>("spawn", TimeSpan.FromSeconds(5));
        Assert.Contains("already lives under /user/lock-manager", refused);

        Sys.Stop(first);
        await probe.ExpectMsgAsync<Terminated>(t => ReferenceEquals(t.Actor, first));
        var second = await parent.Ask<ActorRef>("spawn", TimeSpan.FromSeconds(5));

        Assert.NotSame(first, second);
        Assert.Equal(first.Path, second.Path);
    }

    [Fact]
    public async Task Every_watcher_should_get_its_own_Terminated()
    {
        var probes = Enumerable.Range(0, 5).Select(_ => CreateProbe()).ToArray();
        var watchee = Sys.Spawn(Props.Create<EchoActor>(), "watchee");
        foreach (var probe in probes)
        {
            probe.Watch(watchee);
        }

        // A round trip through each probe's mailbox: its watch is registered before the stop.
        foreach (var probe in probes)
        {
            probe.Send(watchee, "sync");
            await probe.ExpectMsgAsync("sync");
        }

        Sys.Stop(watchee);

        foreach (var probe in probes)
        {
            await probe.ExpectTerminatedAsync(watchee);
            await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(50));
        }
    }

    [Fact]
    public async Task A_stopped_watcher_should_be_forgotten_by_its_watchee()
    {
        var remoteLike = new Remote.InMemoryTransport(Sys);
        var peer = remoteLike.Connect("/remote/node-a");
        var watcher = Sys.Spawn(DelegateActor.Props(context =>
        {
            if (context.Message is "watch")
            {
                context.Watch(peer);
                context.Respond("watching");
            }
        }), "watcher");
        await watcher.Ask<string>("watch", TimeSpan.FromSeconds(5));
        Assert.Equal(1, peer.WatcherCount);

        var probe = CreateProbe();
        probe.Watch(watcher);
        Sys.Stop(watcher);
        await probe.ExpectTerminatedAsync(watcher);

        Assert.Equal(0, peer.WatcherCount);
    }
}
