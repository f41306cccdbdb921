using LayerLock.Actors;
using LayerLock.Specs.Support;
using Xunit;

namespace LayerLock.Specs.Actors;

public sealed class AskSpecs : ActorSpec
{
    [Fact]
    public async Task Ask_should_return_the_reply()
    {
        var echo = Sys.Spawn(Props.Create<EchoActor>(), "echo");

        var reply = await echo.Ask<string>("ping", TimeSpan.FromSeconds(5));

        Assert.Equal("ping", reply);
    }

    [Fact]
    public async Task Ask_should_time_out_naming_the_target_path_and_message_type()
    {
        var silent = Sys.Spawn(DelegateActor.Props(_ => { }), "silent");

        var timeout = await Assert.ThrowsAsync<TimeoutException>(
            () => silent.Ask<string>(new Boom("x"), TimeSpan.FromMilliseconds(200)));

        Assert.Contains("/user/silent", timeout.Message);
        Assert.Contains(nameof(Boom), timeout.Message);
        Assert.Contains("200 ms", timeout.Message);
    }

    [Fact]
    public async Task Ask_should_fail_with_a_clear_cast_error_when_the_reply_has_another_type()
    {
        var echo = Sys.Spawn(Props.Create<EchoActor>(), "echo");

        var error = await Assert.ThrowsAsync<InvalidCastException>(() => echo.Ask<int>("ping", TimeSpan.FromSeconds(5)));

        Assert.Contains("expected a Int32 reply but got String", error.Message);
    }

    [Fact]
    public async Task A_reply_after_the_timeout_should_be_a_dead_letter()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = Sys.Spawn(DelegateActor.Props(async context =>
        {
            if (context.Message is "ping")
            {
                await gate.Task;
                context.Respond("late pong");
            }
        }), "slow");
        var probe = CreateProbe();
        Sys.EventStream.Subscribe<DeadLetter>(probe.Ref);

        await Assert.ThrowsAsync<TimeoutException>(() => slow.Ask<string>("ping", TimeSpan.FromMilliseconds(100)));
        gate.SetResult();

        var dead = await probe.ExpectMsgAsync<DeadLetter>();
        Assert.Equal("late pong", dead.Message);
        Assert.StartsWith("/temp/ask-", dead.Recipient.Path);
    }

    [Fact]
    public async Task Ask_to_a_dead_actor_should_time_out_and_leave_a_dead_letter()
    {
        var echo = Sys.Spawn(Props.Create<EchoActor>(), "echo");
        var probe = CreateProbe();
        probe.Watch(echo);
        Sys.Stop(echo);
        await probe.ExpectTerminatedAsync(echo);
        Sys.EventStream.Subscribe<DeadLetter>(probe.Ref);

        await Assert.ThrowsAsync<TimeoutException>(() => echo.Ask<string>("ping", TimeSpan.FromMilliseconds(100)));

        Assert.Same(echo, (await probe.ExpectMsgAsync<DeadLetter>()).Recipient);
    }
}
