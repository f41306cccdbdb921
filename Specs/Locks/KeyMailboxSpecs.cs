using Akka.Actor;
using Akka.Dispatch.MessageQueues;
using LayerLock.Coordinator.Locks;
using Xunit;

namespace LayerLock.Specs.Locks;

public sealed class KeyMailboxSpecs : LockManagerSpec
{
    private const int Producers = 4;
    private const int PerProducer = 20_000;

    [Fact]
    public async Task Key_actors_should_run_on_the_compact_mailbox()
    {
        var holder = CreateProbe();
        await AcquireGrantedAsync(holder, "node-a");

        var keyActor = await Sys.ActorSelection(Manager.Path / "*").ResolveOne(TimeSpan.FromSeconds(5));
        var cell = Assert.IsType<ActorCell>(((ActorRefWithCell)keyActor).Underlying);
        var mailbox = Assert.IsType<Akka.Dispatch.Mailbox>(cell.Mailbox);
        Assert.IsType<KeyMailbox.MessageQueue>(mailbox.MessageQueue);
    }

    [Fact]
    public void An_operators_mailbox_block_should_win_over_the_default()
    {
        using var own = ActorSystem.Create("own", $"{KeyMailbox.Id}.mailbox-type = \"Akka.Dispatch.UnboundedMailbox, Akka\"\nakka.loglevel = WARNING");
        using var plain = ActorSystem.Create("plain", "akka.loglevel = WARNING");

        KeyMailbox.Ensure(own);
        KeyMailbox.Ensure(plain);

        Assert.Equal("Akka.Dispatch.UnboundedMailbox, Akka", own.Settings.Config.GetString($"{KeyMailbox.Id}.mailbox-type"));
        Assert.StartsWith(typeof(KeyMailbox).FullName!, plain.Settings.Config.GetString($"{KeyMailbox.Id}.mailbox-type"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_queue_should_keep_each_producers_order_while_the_consumer_drains()
    {
        var queue = new KeyMailbox.MessageQueue();
        var producers = Enumerable.Range(0, Producers)
            .Select(p => Task.Run(() =>
            {
                for (var i = 0; i < PerProducer; i++)
                {
                    queue.Enqueue(ActorRefs.Nobody, new Envelope((p, i), ActorRefs.NoSender));
                }
            }))
            .ToArray();

        var next = new int[Producers];
        var received = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (received < Producers * PerProducer && DateTime.UtcNow < deadline)
        {
            if (!queue.TryDequeue(out var envelope))
            {
                await Task.Yield();
                continue;
            }

            var (producer, sequence) = ((int, int))envelope.Message;
            Assert.Equal(next[producer], sequence);
            next[producer]++;
            received++;
        }

        await Task.WhenAll(producers);
        Assert.Equal(Producers * PerProducer, received);
        Assert.False(queue.HasMessages);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void A_drained_queue_should_still_take_messages_after_giving_its_array_back()
    {
        var queue = new KeyMailbox.MessageQueue();
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < 1_000; i++)
            {
                queue.Enqueue(ActorRefs.Nobody, new Envelope(i, ActorRefs.NoSender));
            }

            Assert.Equal(1_000, queue.Count);
            for (var i = 0; i < 1_000; i++)
            {
                Assert.True(queue.TryDequeue(out var envelope));
                Assert.Equal(i, envelope.Message);
            }

            Assert.False(queue.TryDequeue(out _));
        }
    }

    [Fact]
    public void Clean_up_should_hand_what_is_left_to_dead_letters_in_order()
    {
        var queue = new KeyMailbox.MessageQueue();
        var deadLetters = new UnboundedMessageQueue();
        for (var i = 0; i < 5; i++)
        {
            queue.Enqueue(ActorRefs.Nobody, new Envelope(i, ActorRefs.NoSender));
        }

        queue.CleanUp(ActorRefs.Nobody, deadLetters);

        Assert.False(queue.HasMessages);
        for (var i = 0; i < 5; i++)
        {
            Assert.True(deadLetters.TryDequeue(out var envelope));
            Assert.Equal(i, envelope.Message);
        }
    }
}
