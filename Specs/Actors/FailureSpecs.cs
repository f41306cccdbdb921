using LayerLock.Actors;
using LayerLock.Specs.Support;
using Microsoft.Extensions.Logging;
using Xunit;

namespace LayerLock.Specs.Actors;

public sealed class FailureSpecs : ActorSpec
{
    private static Props Fragile() => DelegateActor.Props(context =>
    {
        if (context.Message is Boom boom)
        {
            throw new InvalidOperationException(boom.Text);
        }
    });

    [Fact]
    public async Task A_throwing_actor_should_stop_and_its_watchers_should_hear_why()
    {
        var fragile = Sys.Spawn(Fragile(), "fragile");
        var probe = CreateProbe();
        probe.Watch(fragile);

        fragile.Tell(new Boom("disk full"));

        var terminated = await probe.ExpectTerminatedAsync(fragile);
        Assert.Equal("failed: InvalidOperationException: disk full", terminated.Reason);
    }

    [Fact]
    public async Task A_failure_should_be_logged_with_the_actor_path_and_message_type()
    {
        var fragile = Sys.Spawn(Fragile(), "fragile");
        var probe = CreateProbe();
        probe.Watch(fragile);

        fragile.Tell(new Boom("disk full"));
        await probe.ExpectTerminatedAsync(fragile);

        var entry = Assert.Single(Log.Entries, e => e.EventName == "actor.failed");
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Contains("/user/fragile", entry.Message);
        Assert.Contains(nameof(Boom), entry.Message);
        Assert.IsType<InvalidOperationException>(entry.Exception);
    }

    [Fact]
    public async Task The_parent_should_hear_Terminated_when_a_child_fails()
    {
        var probe = CreateProbe();
        var parent = Sys.Spawn(DelegateActor.Props(context =>
        {
            switch (context.Message)
            {
                case "spawn":
                    context.Respond(context.Spawn(Fragile(), "fragile"));
                    break;
                case Terminated terminated:
                    probe.Ref.Tell(terminated);
                    break;
            }
        }), "parent");
        var child = await parent.Ask<ActorRef>("spawn", TimeSpan.FromSeconds(5));

        child.Tell(new Boom("bad frame"));

        var terminated = await probe.ExpectMsgAsync<Terminated>(t => ReferenceEquals(t.Actor, child));
        Assert.StartsWith("failed:", terminated.Reason);
    }

    [Fact]
    public async Task A_failed_actor_should_stop_its_children_and_turn_later_messages_into_dead_letters()
    {
        var probe = CreateProbe();
        var fragile = Sys.Spawn(DelegateActor.Props(context =>
        {
            switch (context.Message)
            {
                case "spawn":
                    context.Respond(context.Spawn(Props.Create<EchoActor>(), "child"));
                    break;
                case Boom boom:
                    throw new InvalidOperationException(boom.Text);
            }
        }), "fragile");
        var child = await fragile.Ask<ActorRef>("spawn", TimeSpan.FromSeconds(5));
        probe.Watch(child);
        probe.Watch(fragile);
        Sys.EventStream.Subscribe<DeadLetter>(probe.Ref);

        fragile.Tell(new Boom("x"));
        await probe.ExpectTerminatedAsync(child);
        await probe.ExpectTerminatedAsync(fragile);
        fragile.Tell("after death");

        Assert.Equal("after death", (await probe.ExpectMsgAsync<DeadLetter>()).Message);
    }

    [Fact]
    public async Task An_exception_in_the_Stopped_handler_should_be_logged_and_the_actor_should_still_die()
    {
        var actor = Sys.Spawn(DelegateActor.Props(context =>
        {
            if (context.Message is Stopped)
            {
                throw new IOException("cannot flush");
            }
        }), "flaky-cleanup");
        var probe = CreateProbe();
        probe.Watch(actor);

        Sys.Stop(actor);

        await probe.ExpectTerminatedAsync(actor);
        Assert.Contains(Log.Entries, e => e.EventName == "actor.stopped-handler-failed" && e.Message.Contains("/user/flaky-cleanup"));
    }
}
