using System.Collections.Concurrent;
using LayerLock.Actors;
using LayerLock.Specs.Support;
using Xunit;

namespace LayerLock.Specs.Actors;

public sealed class ActorSystemSpecs
{
    [Fact]
    public async Task Disposing_the_system_should_stop_every_actor_children_before_parents()
    {
        var stopped = new ConcurrentQueue<string>();
        var system = new ActorSystem("disposal");
        await using (system)
        {
            Props Leaf() => DelegateActor.Props(context =>
            {
                if (context.Message is Stopped)
                {
                    stopped.Enqueue(context.Self.Path);
                }
            });

            var manager = system.Spawn(DelegateActor.Props(context =>
            {
                switch (context.Message)
                {
                    case Started:
                        context.Spawn(Leaf(), "sha256:aaa");
                        context.Spawn(Leaf(), "sha256:bbb");
                        break;
                    case Stopped:
                        stopped.Enqueue(context.Self.Path);
                        break;
                    case "children":
                        context.Respond(context.Children.Count);
                        break;
                }
            }), "lock-manager");
            system.Spawn(Leaf(), "sessions");
            Assert.Equal(2, await manager.Ask<int>("children", TimeSpan.FromSeconds(5)));
        }

        Assert.True(system.WhenTerminated.IsCompleted);
        var order = stopped.ToArray();
        Assert.Equal(4, order.Length);
        Assert.Equal("/user/lock-manager", order[Array.IndexOf(order, "/user/lock-manager")]);
        Assert.True(Array.IndexOf(order, "/user/lock-manager/sha256:aaa") < Array.IndexOf(order, "/user/lock-manager"));
        Assert.True(Array.IndexOf(order, "/user/lock-manager/sha256:bbb") < Array.IndexOf(order, "/user/lock-manager"));
        Assert.Contains("/user/sessions", order);
    }

    [Fact]
    public async Task Spawn_after_disposal_should_throw()
    {
        var system = new ActorSystem("disposed");
        await system.DisposeAsync();

        Assert.Throws<ObjectDisposedException>(() => system.Spawn(Props.Create<EchoActor>(), "late"));
    }

    [Fact]
    public async Task Messages_after_disposal_should_be_dead_letters()
    {
        var log = new CapturedLog();
        var system = new ActorSystem("disposed", log);
        var echo = system.Spawn(Props.Create<EchoActor>(), "echo");
        await system.DisposeAsync();

        echo.Tell("late");

        Assert.Contains(log.Entries, e => e.EventName == "dead.letter" && e.Message.Contains("/user/echo"));
    }

    [Fact]
    public async Task Top_level_names_should_be_unique_and_paths_should_nest()
    {
        await using var system = new ActorSystem("names");
        var manager = system.Spawn(DelegateActor.Props(context =>
        {
            if (context.Message is string key)
            {
                context.Respond(context.Spawn(Props.Create<EchoActor>(), key).Path);
            }
        }), "lock-manager");

        var duplicate = Assert.Throws<InvalidOperationException>(() => system.Spawn(Props.Create<EchoActor>(), "lock-manager"));
        Assert.Contains("'lock-manager' already lives under /user", duplicate.Message);
        Assert.Equal("/user/lock-manager", manager.Path);
        Assert.Equal(
            "/user/lock-manager/sha256:0123abcd",
            await manager.Ask<string>("sha256:0123abcd", TimeSpan.FromSeconds(5)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("$reserved")]
    [InlineData("has space")]
    public async Task Spawn_should_refuse_an_invalid_name(string name)
    {
        await using var system = new ActorSystem("names");

        var error = Assert.Throws<ArgumentException>(() => system.Spawn(Props.Create<EchoActor>(), name));

        Assert.Contains("is invalid", error.Message);
    }

    [Fact]
    public async Task Unnamed_children_should_get_distinct_generated_names()
    {
        await using var system = new ActorSystem("names");

        var first = system.Spawn(Props.Create<EchoActor>());
        var second = system.Spawn(Props.Create<EchoActor>());

        Assert.StartsWith("/user/$", first.Path);
        Assert.NotEqual(first.Path, second.Path);
    }

    [Fact]
    public void A_system_name_with_a_slash_should_be_refused()
    {
        Assert.Throws<ArgumentException>(() => new ActorSystem("bad/name"));
    }
}
