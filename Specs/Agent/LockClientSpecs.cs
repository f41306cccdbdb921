using Akka.Actor;
using LayerLock.Messages.Agents;
using LayerLock.Messages.Locks;
using LayerLock.NodeAgent.Coordination;
using Xunit;

namespace LayerLock.Specs.Agent;

/// <summary>
/// The agent's <c>LockClient</c> actor against a test probe that stands in for the Coordinator's
/// lock manager and the agent's session, so each interleaving of the wire is played exactly.
/// </summary>
public sealed class LockClientSpecs() : Akka.TestKit.Xunit2.TestKit("akka.test.single-expect-default = 10s\nakka.loglevel = WARNING")
{
    private const string Key = "sha256:7777777777777777777777777777777777777777777777777777777777777777";
    private const string Node = "node-a";

    [Fact]
    public async Task A_grant_repeated_for_a_newer_request_after_it_was_handed_back_should_not_be_taken_and_the_request_asked_again()
    {
        var coordinator = CreateTestProbe();
        coordinator.IgnoreMessages(m => m is ReconcileHeld);
        var state = new LinkState(() => { });
        var options = new LockClientOptions(Node, coordinator.Ref.Path.ToString(), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), 0)
        {
            LinkTimeout = TimeSpan.FromMinutes(1),
        };
        var client = Sys.ActorOf(LockClient.Props(options, state, LinkLog.None), "lock-client");
        await coordinator.ExpectMsgAsync<RegisterAgent>();
        coordinator.Reply(new AgentRegistered(Node, "session", [], []));

        // Request 1 is sent and cancelled; request 2 for the same key follows at once.
        var first = new PendingLock(Key, TimeSpan.FromSeconds(5), null);
        client.Tell(new LockClient.Acquire(1, first));
        await coordinator.ExpectMsgAsync<AcquireLock>(a => a.RequestId == 1);
        first.Granted.TrySetCanceled();
        client.Tell(new LockClient.Cancel(1));
        await coordinator.ExpectMsgAsync<CancelWait>(c => c.RequestId == 1);
        var second = new PendingLock(Key, TimeSpan.FromSeconds(5), null);
        client.Tell(new LockClient.Acquire(2, second));
        await coordinator.ExpectMsgAsync<AcquireLock>(a => a.RequestId == 2);

        // The Coordinator had granted request 1 before the cancel arrived, and answered request 2
        // (the node holds the key) with the same grant before the hand-back arrived.
        client.Tell(new LockGranted(Key, Node, 1, 7, null), coordinator.Ref);
        await coordinator.ExpectMsgAsync<ReleaseLock>(r => r.Token == 7 && !r.Success);
        client.Tell(new LockGranted(Key, Node, 2, 7, null), coordinator.Ref);

        // Token 7 is being released by the hand-back: request 2 must not take it, and asks again.
        await coordinator.ExpectMsgAsync<AcquireLock>(a => a.RequestId == 2);
        Assert.False(second.Granted.Task.IsCompleted);
        Assert.Empty(state.Held);

        client.Tell(new LockReleased(Key, 7, null), coordinator.Ref);
        client.Tell(new LockGranted(Key, Node, 2, 8, null), coordinator.Ref);
        var lease = await second.Granted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(8, lease.Token);
        await AwaitConditionAsync(() => Task.FromResult(state.Held.Any(l => l.Token == 8)));
    }
}
