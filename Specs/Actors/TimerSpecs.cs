using LayerLock.Actors;
using LayerLock.Specs.Support;
using Xunit;

namespace LayerLock.Specs.Actors;

public sealed class TimerSpecs : ActorSpec
{
    [Fact]
    public async Task ScheduleTellOnce_should_deliver_once_with_the_actor_as_sender()
    {
        var probe = CreateProbe();
        var actor = Sys.Spawn(DelegateActor.Props(context =>
        {
            if (context.Message is "arm")
            {
                context.ScheduleTellOnce(TimeSpan.FromMilliseconds(50), probe.Ref, "wait expired");
            }
        }), "timer");

        actor.Tell("arm");

        await probe.ExpectMsgAsync("wait expired");
        Assert.Same(actor, probe.LastSender);
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task A_cancelled_tell_should_never_arrive()
    {
        var probe = CreateProbe();
        var actor = Sys.Spawn(DelegateActor.Props(context =>
        {
            if (context.Message is "arm-and-cancel")
            {
                var scheduled = context.ScheduleTellOnce(TimeSpan.FromMilliseconds(100), probe.Ref, "should not arrive");
                context.Respond(scheduled.Cancel());
                context.Respond(scheduled.Cancel());
            }
        }), "timer");

        probe.Send(actor, "arm-and-cancel");

        await probe.ExpectMsgAsync(true);
        await probe.ExpectMsgAsync(false);
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task Stopping_an_actor_should_cancel_its_pending_tells()
    {
        // The tell is due long after the spec ends, so being done right after Terminated can only
        // mean the stop cancelled it (a short delay raced the stop on a starved thread pool).
        var probe = CreateProbe();
        ScheduledTell? pending = null;
        var actor = Sys.Spawn(DelegateActor.Props(context =>
        {
            if (context.Message is "arm")
            {
                pending = context.ScheduleTellOnce(TimeSpan.FromMinutes(5), probe.Ref, "should not arrive");
                context.Respond("armed");
            }
        }), "timer");
        probe.Send(actor, "arm");
        await probe.ExpectMsgAsync("armed");
        probe.Watch(actor);
        Assert.False(pending!.IsDone);

        Sys.Stop(actor);

        await probe.ExpectTerminatedAsync(actor);
        Assert.True(pending.IsDone);
        Assert.False(pending.Cancel());
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
    }
}
