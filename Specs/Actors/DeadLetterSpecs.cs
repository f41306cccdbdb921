using LayerLock.Actors;
using LayerLock.Specs.Support;
using Microsoft.Extensions.Logging;
using Xunit;

namespace LayerLock.Specs.Actors;

public sealed class DeadLetterSpecs : ActorSpec
{
    [Fact]
    public async Task A_message_to_a_stopped_actor_should_be_logged_and_published_as_a_dead_letter()
    {
        var echo = Sys.Spawn(Props.Create<EchoActor>(), "echo");
        var probe = CreateProbe();
        probe.Watch(echo);
        Sys.Stop(echo);
        await probe.ExpectTerminatedAsync(echo);
        Sys.EventStream.Subscribe<DeadLetter>(probe.Ref);

        echo.Tell(new Boom("late"), probe.Ref);

        var dead = await probe.ExpectMsgAsync<DeadLetter>();
        Assert.Equal(new Boom("late"), dead.Message);
        Assert.Same(probe.Ref, dead.Sender);
        Assert.Same(echo, dead.Recipient);
        var entry = Assert.Single(Log.Entries, e => e.EventName == "dead.letter");
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Contains("/user/echo", entry.Message);
        Assert.Contains(nameof(Boom), entry.Message);
    }

    [Fact]
    public async Task A_message_to_DeadLetters_should_be_published()
    {
        var probe = CreateProbe();
        Sys.EventStream.Subscribe<DeadLetter>(probe.Ref);

        Sys.DeadLetters.Tell("nobody");

        Assert.Equal("nobody", (await probe.ExpectMsgAsync<DeadLetter>()).Message);
    }

    [Fact]
    public async Task A_dead_subscriber_should_not_cause_a_dead_letter_storm()
    {
        var subscriber = Sys.Spawn(Props.Create<EchoActor>(), "subscriber");
        var probe = CreateProbe();
        probe.Watch(subscriber);
        Sys.Stop(subscriber);
        await probe.ExpectTerminatedAsync(subscriber);
        Sys.EventStream.Subscribe<DeadLetter>(subscriber);
        Sys.EventStream.Subscribe<DeadLetter>(probe.Ref);

        Sys.DeadLetters.Tell("first");

        Assert.Equal("first", (await probe.ExpectMsgAsync<DeadLetter>()).Message);
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        Assert.Equal(2, Log.Entries.Count(e => e.EventName == "dead.letter"));
    }
}
