using System.Collections.Concurrent;
using LayerLock.Actors;
using LayerLock.Specs.Support;
using Xunit;

namespace LayerLock.Specs.Actors;

public sealed class MailboxSpecs : ActorSpec
{
    private const int Senders = 8;
    private const int MessagesPerSender = 1_250;

    [Fact]
    public async Task Actor_should_get_10000_messages_from_8_senders_in_per_sender_order_one_at_a_time()
    {
        var running = 0;
        var overlaps = 0;
        var received = 0;
        var lastSeen = new int[Senders];
        var outOfOrder = new ConcurrentQueue<string>();
        var allArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var actor = Sys.Spawn(DelegateActor.Props(async context =>
        {
            if (context.Message is not Numbered numbered)
            {
                return;
            }

            if (Interlocked.Increment(ref running) != 1)
            {
                Interlocked.Increment(ref overlaps);
            }

            // Hand the thread back now and then, so a second turn could overlap if the kernel let it.
            if (numbered.Sequence % 16 == 0)
            {
                await Task.Yield();
            }

            if (numbered.Sequence != lastSeen[numbered.Sender] + 1)
            {
                outOfOrder.Enqueue($"sender {numbered.Sender}: {numbered.Sequence} after {lastSeen[numbered.Sender]}");
            }

            lastSeen[numbered.Sender] = numbered.Sequence;
            Interlocked.Decrement(ref running);
            if (++received == Senders * MessagesPerSender)
            {
                allArrived.SetResult();
            }
        }), "counter");

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var senders = Enumerable.Range(0, Senders).Select(sender => Task.Run(async () =>
        {
            await start.Task;
            for (var sequence = 1; sequence <= MessagesPerSender; sequence++)
            {
                actor.Tell(new Numbered(sender, sequence));
            }
        })).ToArray();
        start.SetResult();
        await Task.WhenAll(senders);

        await allArrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, overlaps);
        Assert.Empty(outOfOrder);
        Assert.All(lastSeen, last => Assert.Equal(MessagesPerSender, last));
    }

    [Fact]
    public async Task Stop_should_overtake_user_messages_already_in_the_mailbox()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = new ConcurrentQueue<object>();
        var actor = Sys.Spawn(DelegateActor.Props(async context =>
        {
            handled.Enqueue(context.Message);
            if (context.Message is "block")
            {
                entered.SetResult();
                await gate.Task;
            }
        }), "busy");
        var probe = CreateProbe();
        Sys.EventStream.Subscribe<DeadLetter>(probe.Ref);
        probe.Watch(actor);

        actor.Tell("block");
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(5));
        for (var i = 0; i < 5; i++)
        {
            actor.Tell($"queued-{i}");
        }

        Sys.Stop(actor);
        gate.SetResult();

        // Dead letters are user messages to the probe and Terminated a system one, so their
        // relative order is not fixed; the dead letters keep their own order.
        var arrived = new List<object>();
        for (var i = 0; i < 6; i++)
        {
            arrived.Add(await probe.ReceiveOneAsync());
        }

        Assert.Equal(
            ["queued-0", "queued-1", "queued-2", "queued-3", "queued-4"],
            arrived.OfType<DeadLetter>().Select(d => d.Message));
        Assert.Single(arrived.OfType<Terminated>(), t => ReferenceEquals(t.Actor, actor));
        Assert.Equal([Started.Instance, "block", Stopped.Instance], handled);
    }

    [Fact]
    public async Task Actor_should_get_Started_first_and_Stopped_last()
    {
        var handled = new ConcurrentQueue<object>();
        var actor = Sys.Spawn(DelegateActor.Props(context => handled.Enqueue(context.Message)), "lifecycle");
        actor.Tell("one");
        actor.Tell("two");
        var probe = CreateProbe();
        probe.Watch(actor);
        probe.Send(actor, "three");

        Sys.Stop(actor);

        await probe.ExpectTerminatedAsync(actor);
        var messages = handled.ToArray();
        Assert.Same(Started.Instance, messages[0]);
        Assert.Same(Stopped.Instance, messages[^1]);
    }

    private sealed record Numbered(int Sender, int Sequence);
}
