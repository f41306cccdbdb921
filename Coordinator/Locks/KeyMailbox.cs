using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace LayerLock.Coordinator.Locks;

/// <summary>
/// The mailbox of every <see cref="LayerLockActor"/>: an unbounded FIFO queue that allocates
/// nothing until a message waits and keeps only a 4-slot array once it has.
/// </summary>
/// <remarks>
/// Akka's default <see cref="UnboundedMailbox"/> is a <c>ConcurrentQueue</c>, whose first
/// segment is 32 slots: 1,064 bytes per actor whether or not anything waits. A Coordinator holds
/// one key actor per held layer, so at 100,000 held keys that was 101 MiB of a 345 MiB live heap
/// (dotnet-gcdump of the loaded Coordinator, bench/README.md). A key actor receives a few
/// messages at a time from a few senders, so one uncontended lock per message costs nothing
/// measurable. The queue shrinks back to nothing once it drains after a burst (many waiters at
/// once). Configured as <see cref="Id"/>, which <see cref="Ensure"/> adds to an ActorSystem's
/// settings as a fallback: an operator's own <c>layerlock-key-mailbox</c> block wins.
/// </remarks>
public sealed class KeyMailbox : MailboxType, IProducesMessageQueue<KeyMailbox.MessageQueue>
{
    /// <summary>The mailbox's config path, given to <see cref="Props.WithMailbox"/>.</summary>
    public const string Id = "layerlock-key-mailbox";

    /// <summary>Akka creates the mailbox type from its config block with this constructor.</summary>
    public KeyMailbox(Settings settings, Config config)
        : base(settings, config)
    {
    }

    /// <summary>Adds the <see cref="Id"/> block to <paramref name="system"/>'s settings unless it is already there.</summary>
    public static void Ensure(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        if (!system.Settings.Config.HasPath(Id))
        {
            system.Settings.InjectTopLevelFallback(ConfigurationFactory.ParseString(
                $"{Id}.mailbox-type = \"{typeof(KeyMailbox).FullName}, {typeof(KeyMailbox).Assembly.GetName().Name}\""));
        }
    }

    /// <inheritdoc/>
    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new MessageQueue();

    /// <summary>A lock-guarded <see cref="Queue{T}"/> of envelopes: many producers, the actor's one consumer.</summary>
    public sealed class MessageQueue : IMessageQueue, IUnboundedMessageQueueSemantics
    {
        // A queue drained after holding more than this gives its array back.
        private const int TrimAbove = 32;
        private readonly Queue<Envelope> _queue = new();
        private int _peak;

        /// <inheritdoc/>
        public bool HasMessages
        {
            get
            {
                lock (_queue)
                {
                    return _queue.Count > 0;
                }
            }
        }

        /// <inheritdoc/>
        public int Count
        {
            get
            {
                lock (_queue)
                {
                    return _queue.Count;
                }
            }
        }

        /// <inheritdoc/>
        public void Enqueue(IActorRef receiver, Envelope envelope)
        {
            lock (_queue)
            {
                _queue.Enqueue(envelope);
                _peak = Math.Max(_peak, _queue.Count);
            }
        }

        /// <inheritdoc/>
        public bool TryDequeue(out Envelope envelope)
        {
            lock (_queue)
            {
                if (!_queue.TryDequeue(out envelope))
                {
                    return false;
                }

                if (_queue.Count == 0 && _peak > TrimAbove)
                {
                    _queue.TrimExcess();
                    _peak = 0;
                }

                return true;
            }
        }

        /// <inheritdoc/>
        public void CleanUp(IActorRef owner, IMessageQueue deadletters)
        {
            while (TryDequeue(out var envelope))
            {
                deadletters.Enqueue(owner, envelope);
            }
        }
    }
}
