using LayerLock.Actors;
using LayerLock.Specs.Actors;
using LayerLock.Specs.Support;
using Xunit;

namespace LayerLock.Specs.Remote;

public sealed class RemoteSeamSpecs : ActorSpec
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task RemoteActorRef_should_carry_Tell_over_its_transport()
    {
        var transport = new InMemoryTransport(Sys);
        var peer = transport.Connect("/remote/node-a");
        var probe = CreateProbe();

        peer.Tell("granted", probe.Ref);

        var (path, message, sender) = await transport.Outbox.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("/remote/node-a", path);
        Assert.Equal("granted", message);
        Assert.Same(probe.Ref, sender);
    }

    [Fact]
    public async Task A_local_actor_should_answer_a_remote_sender_over_the_transport()
    {
        var transport = new InMemoryTransport(Sys);
        var peer = transport.Connect("/remote/node-a");
        var echo = Sys.Spawn(Props.Create<EchoActor>(), "echo");

        // What the transport does with an inbound frame: tell the local actor, the peer as sender.
        echo.Tell("lock", peer);

        var (_, message, sender) = await transport.Outbox.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("lock", message);
        Assert.Same(echo, sender);
    }

    [Fact]
    public async Task Watchers_should_get_Terminated_with_the_transport_reason_when_the_peer_is_gone()
    {
        var transport = new InMemoryTransport(Sys);
        var peer = transport.Connect("/remote/node-a");
        var probe = CreateProbe();
        probe.Watch(peer);
        probe.Send(Sys.Spawn(Props.Create<EchoActor>()), "sync");
        await probe.ExpectMsgAsync("sync");

        Assert.True(transport.Disconnect("/remote/node-a", "keep-alive timeout"));

        var terminated = await probe.ExpectTerminatedAsync(peer);
        Assert.Equal("keep-alive timeout", terminated.Reason);
        Assert.True(peer.IsTerminated);
        await probe.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task MarkTerminated_should_notify_only_once()
    {
        var transport = new InMemoryTransport(Sys);
        var peer = transport.Connect("/remote/node-a");
        var probe = CreateProbe();
        probe.Watch(peer);
        probe.Send(Sys.Spawn(Props.Create<EchoActor>()), "sync");
        await probe.ExpectMsgAsync("sync");

        Assert.True(peer.MarkTerminated("connection closed"));
        Assert.False(peer.MarkTerminated("keep-alive timeout"));

        Assert.Equal("connection closed", (await probe.ExpectTerminatedAsync(peer)).Reason);
        await probe.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Watching_a_peer_that_is_already_gone_should_notify_at_once()
    {
        var transport = new InMemoryTransport(Sys);
        var peer = transport.Connect("/remote/node-a");
        transport.Disconnect("/remote/node-a", "connection closed");
        var probe = CreateProbe();

        probe.Watch(peer);

        Assert.Equal("connection closed", (await probe.ExpectTerminatedAsync(peer)).Reason);
    }

    [Fact]
    public async Task Unwatching_a_peer_should_mean_no_Terminated()
    {
        var transport = new InMemoryTransport(Sys);
        var peer = transport.Connect("/remote/node-a");
        var probe = CreateProbe();
        probe.Watch(peer);
        probe.Unwatch(peer);
        probe.Send(Sys.Spawn(Props.Create<EchoActor>()), "sync");
        await probe.ExpectMsgAsync("sync");
        Assert.Equal(0, peer.WatcherCount);

        transport.Disconnect("/remote/node-a", "connection closed");

        await probe.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Tell_to_a_gone_peer_should_be_a_dead_letter()
    {
        var transport = new InMemoryTransport(Sys);
        var peer = transport.Connect("/remote/node-a");
        transport.Disconnect("/remote/node-a", "connection closed");
        var probe = CreateProbe();
        Sys.EventStream.Subscribe<DeadLetter>(probe.Ref);

        peer.Tell("granted");

        var dead = await probe.ExpectMsgAsync<DeadLetter>();
        Assert.Same(peer, dead.Recipient);
        Assert.Equal("granted", dead.Message);
        Assert.False(transport.Outbox.Reader.TryRead(out _));
    }

    [Fact]
    public async Task Tell_that_the_transport_refuses_should_be_a_dead_letter()
    {
        var transport = new InMemoryTransport(Sys);
        var peer = transport.Connect("/remote/node-a");
        transport.Refuse();
        var probe = CreateProbe();
        Sys.EventStream.Subscribe<DeadLetter>(probe.Ref);

        peer.Tell("granted");

        Assert.Equal("granted", (await probe.ExpectMsgAsync<DeadLetter>()).Message);
    }
}
