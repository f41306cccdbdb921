namespace LayerLock.Actors;

/// <summary>
/// System-wide publish/subscribe by message type; the kernel publishes <see cref="DeadLetter"/> here.
/// </summary>
public sealed class EventStream
{
    private readonly Lock _sync = new();
    private (Type Type, ActorRef Subscriber)[] _subscriptions = [];

    /// <summary>Sends every published event assignable to <typeparamref name="TEvent"/> to <paramref name="subscriber"/>.</summary>
    public void Subscribe<TEvent>(ActorRef subscriber)
    {
        lock (_sync)
        {
            _subscriptions = [.. _subscriptions, (typeof(TEvent), subscriber)];
        }
    }

    /// <summary>Removes every subscription of <paramref name="subscriber"/>.</summary>
    public void Unsubscribe(ActorRef subscriber)
    {
        lock (_sync)
        {
            _subscriptions = [.. _subscriptions.Where(s => !ReferenceEquals(s.Subscriber, subscriber))];
        }
    }

    public void Publish(object @event)
    {
        foreach (var (type, subscriber) in Volatile.Read(ref _subscriptions))
        {
            if (type.IsInstanceOfType(@event))
            {
                subscriber.Tell(@event);
            }
        }
    }
}
