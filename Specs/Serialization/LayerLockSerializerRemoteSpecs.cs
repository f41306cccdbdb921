using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote;
using LayerLock.Messages.Locks;
using LayerLock.Messages.Serialization;
using Xunit;

namespace LayerLock.Specs.Serialization;

/// <summary>
/// <see cref="LayerLockSerializer"/> over a real Akka.Remote link: two ActorSystems in this
/// process on loopback. This spec's system plays the Coordinator (an echo actor); the other plays
/// an agent whose serializer can also send messages the Coordinator cannot read.
/// </summary>
public sealed class LayerLockSerializerRemoteSpecs : Akka.TestKit.Xunit2.TestKit
{
    private const string RemoteHocon = """
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp.hostname = 127.0.0.1
        akka.remote.dot-netty.tcp.port = 0
        akka.loglevel = WARNING
        """;

    /// <summary>A starved 2-core run can hold a message back for seconds; no wait here lasts this long when the spec passes.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(500);

    public LayerLockSerializerRemoteSpecs()
        : base(RemoteConfig(LayerLockSerializer.Hocon))
    {
    }

    [Fact]
    public async Task The_association_should_survive_messages_the_receiver_cannot_read_and_carry_the_next_one()
    {
        Sys.ActorOf(Props.Create(() => new Echo()), "echo");
        var coordinatorWarnings = CreateTestProbe();
        Sys.EventStream.Subscribe(coordinatorWarnings, typeof(Warning));
        var coordinatorDisassociations = CreateTestProbe();
        Sys.EventStream.Subscribe(coordinatorDisassociations, typeof(DisassociatedEvent));

        var agent = ActorSystem.Create("agent", RemoteConfig(ForgingLayerLockSerializer.Hocon, LayerLockSerializer.Hocon));
        try
        {
            var agentErrors = CreateTestProbe(agent);
            agent.EventStream.Subscribe(agentErrors, typeof(Error));
            var agentDisassociations = CreateTestProbe(agent);
            agent.EventStream.Subscribe(agentDisassociations, typeof(DisassociatedEvent));
            var client = CreateTestProbe(agent);
            var coordinator = ((ExtendedActorSystem)Sys).Provider.DefaultAddress;
            var echo = await agent.ActorSelection(new RootActorPath(coordinator) / "user" / "echo").ResolveOne(Bound);
            var acquire = new AcquireLock("sha256:abc", "node-a", 7, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10));

            // In order on one association: refused by the agent's own writer (no binding), refused by
            // the Coordinator's reader (unknown manifest, then a payload that does not parse), delivered.
            client.Send(echo, new UnboundMessage("no serializer is bound to me"));
            client.Send(echo, new ForgedWireMessage("lock-stolen", "{}"u8.ToArray()));
            client.Send(echo, new ForgedWireMessage("acquire", "not json"u8.ToArray()));
            client.Send(echo, acquire);

            Assert.Equal(acquire, await client.ExpectMsgAsync<AcquireLock>(Bound));
            await agentErrors.FishForMessageAsync<Error>(e => e.Cause is SerializationException && e.Cause.Message.Contains(nameof(UnboundMessage)), Bound);
            await coordinatorWarnings.FishForMessageAsync<Warning>(w => w.Cause is SerializationException && w.Cause.Message.Contains("\"lock-stolen\""), Bound);
            await coordinatorWarnings.FishForMessageAsync<Warning>(w => w.Cause is SerializationException && w.Cause.Message.Contains("\"acquire\""), Bound);
            await coordinatorDisassociations.ExpectNoMsgAsync(Quiet);
            await agentDisassociations.ExpectNoMsgAsync(Quiet);
        }
        finally
        {
            await agent.Terminate().WaitAsync(Bound);
        }
    }

    private static Config RemoteConfig(params string[] hocon) =>
        hocon.Append(RemoteHocon)
            .Select(h => ConfigurationFactory.ParseString(h))
            .Aggregate((config, fallback) => config.WithFallback(fallback));

    private sealed class Echo : ReceiveActor
    {
        public Echo() => ReceiveAny(message => Sender.Tell(message));
    }

    private sealed record UnboundMessage(string Text);
}
