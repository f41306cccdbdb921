namespace LayerLock.Actors;

/// <summary>A pending <see cref="IContext.ScheduleTellOnce"/>; <see cref="Cancel"/> stops it from being sent.</summary>
public sealed class ScheduledTell
{
    private readonly ActorRef _target;
    private readonly object _message;
    private readonly ActorRef? _sender;
    private readonly Action<ScheduledTell>? _onDone;
    private ITimer? _timer;
    private int _done;

    internal ScheduledTell(ActorRef target, object message, ActorRef? sender, Action<ScheduledTell>? onDone)
    {
        _target = target;
        _message = message;
        _sender = sender;
        _onDone = onDone;
    }

    /// <summary>True once the message was sent or the tell was cancelled.</summary>
    public bool IsDone => Volatile.Read(ref _done) == 1;

    internal void Start(TimeProvider timeProvider, TimeSpan delay)
    {
        _timer = timeProvider.CreateTimer(static state => ((ScheduledTell)state!).Fire(), this, delay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Cancels the tell. Returns false if it was already sent or cancelled.</summary>
    public bool Cancel()
    {
        if (Interlocked.Exchange(ref _done, 1) == 1)
        {
            return false;
        }

        _timer?.Dispose();
        _onDone?.Invoke(this);
        return true;
    }

    private void Fire()
    {
        if (Interlocked.Exchange(ref _done, 1) == 1)
        {
            return;
        }

        _timer?.Dispose();
        _onDone?.Invoke(this);
        _target.Tell(_message, _sender);
    }
}
