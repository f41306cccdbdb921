namespace LayerLock.Actors;

/// <summary>
/// The runtime of one actor: its mailbox, its children and its DeathWatch bookkeeping.
/// Everything but <see cref="Post"/>, <see cref="PostSystem"/> and the child registry runs in
/// the actor's turns, one message at a time.
/// </summary>
/// <remarks>
/// The mailbox is two queues under one lock and a "scheduled" flag. A post that finds the flag
/// clear queues one turn on the thread pool; a turn handles up to <see cref="BatchSize"/>
/// messages, clears the flag and queues another turn if messages are left. An idle actor is
/// therefore only its queues: no parked loop, no channel, no waiting task.
/// </remarks>
internal sealed partial class ActorCell : IContext, IThreadPoolWorkItem
{
    // Messages handled per turn before the turn gives its thread to other actors.
    private const int BatchSize = 32;

    // The mailbox, guarded by _sync. The oldest user message sits inline in _next, so an actor
    // that gets one message at a time (most of them) never allocates a queue; _later holds the
    // rest, in order, and is only made when needed.
    private Envelope _next;
    private bool _hasNext;
    private Queue<Envelope>? _later;
    private Queue<SystemMessage>? _systemMessages;
    private bool _closed;

    // 1 while a turn is queued or running, so at most one runs at a time.
    private int _scheduled;
    private bool _started;

    // Only guardians are awaited; other cells do not pay for a task.
    private readonly TaskCompletionSource? _terminated;
    private readonly IActor _actor;
    private readonly ActorCell? _parent;
    private object? _message;
    private ActorRef? _sender;

    private ActorCell(ActorSystem system, LocalActorRef self, ActorCell? parent, IActor actor)
    {
        System = system;
        Self = self;
        _parent = parent;
        _actor = actor;
        if (parent is null)
        {
            _terminated = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        self.Cell = this;
    }

    private enum CellState
    {
        Running,
        Stopping,
        Dead,
    }

    public ActorSystem System { get; }

    public ActorRef Self { get; }

    public ActorRef? Parent => _parent?.Self;

    public ActorRef? Sender => _sender;

    public object Message => _message ?? throw new InvalidOperationException("the context is used outside of ReceiveAsync");

    internal Task WhenTerminated =>
        _terminated?.Task ?? throw new InvalidOperationException($"{Path} is not a guardian; watch it instead");

    private string Path => Self.Path;

    internal static ActorCell CreateGuardian(ActorSystem system, string path)
    {
        var cell = new ActorCell(system, new LocalActorRef(system, path), parent: null, new GuardianActor());
        cell.Start();
        return cell;
    }

    internal void Post(object message, ActorRef? sender)
    {
        bool closed;
        lock (_sync)
        {
            closed = _closed;
            if (!closed)
            {
                EnqueueUserMessage(new Envelope(message, sender));
            }
        }

        if (closed)
        {
            System.PublishDeadLetter(message, sender, Self);
            return;
        }

        Schedule();
    }

    internal void PostSystem(SystemMessage message)
    {
        // If the mailbox is already closed, this cell is dead and answers the message itself.
        bool closed;
        lock (_sync)
        {
            closed = _closed;
            if (!closed)
            {
                (_systemMessages ??= new()).Enqueue(message);
            }
        }

        if (closed)
        {
            AnswerSystemMessageWhenDead(message);
            return;
        }

        Schedule();
    }

    private void Start() => Schedule();

    private void Schedule()
    {
        if (Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    void IThreadPoolWorkItem.Execute() => _ = RunTurnAsync();

    private async Task RunTurnAsync()
    {
        try
        {
            if (!_started)
            {
                _started = true;
                await InvokeAsync(Started.Instance, null).ConfigureAwait(false);
            }

            var handled = 0;
            while (handled < BatchSize && _state != CellState.Dead)
            {
                // System messages go before the next user message.
                await ProcessSystemMessagesAsync().ConfigureAwait(false);
                if (_state == CellState.Dead || !TryDequeueUserMessage(out var envelope))
                {
                    break;
                }

                handled++;
                if (_state == CellState.Running)
                {
                    await InvokeAsync(envelope.Message, envelope.Sender).ConfigureAwait(false);
                }
                else
                {
                    System.PublishDeadLetter(envelope.Message, envelope.Sender, Self);
                }
            }
        }
        catch (Exception exception)
        {
            System.Log.KernelFault(Path, exception);
            _state = CellState.Stopping;
            await FinishStopAsync().ConfigureAwait(false);
        }

        // A full fence before the look at the queues: a post that saw the flag still set has
        // already queued its message, so this look finds it.
        Interlocked.Exchange(ref _scheduled, 0);
        if (HasMessages())
        {
            Schedule();
        }
    }

    // Under _sync. _next is only filled when _later is empty, so it is always the oldest.
    private void EnqueueUserMessage(Envelope envelope)
    {
        if (!_hasNext && _later is not { Count: > 0 })
        {
            _next = envelope;
            _hasNext = true;
        }
        else
        {
            (_later ??= new()).Enqueue(envelope);
        }
    }

    private bool TryDequeueUserMessage(out Envelope envelope)
    {
        lock (_sync)
        {
            if (_hasNext)
            {
                envelope = _next;
                _next = default;
                _hasNext = false;
                return true;
            }

            if (_later is not null)
            {
                return _later.TryDequeue(out envelope);
            }

            envelope = default;
            return false;
        }
    }

    private bool TryDequeueSystemMessage([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SystemMessage? message)
    {
        lock (_sync)
        {
            if (_systemMessages is { Count: > 0 } queue)
            {
                message = queue.Dequeue();
                return true;
            }

            message = null;
            return false;
        }
    }

    private bool HasMessages()
    {
        lock (_sync)
        {
            return !_closed && (_hasNext || _later is { Count: > 0 } || _systemMessages is { Count: > 0 });
        }
    }

    private async Task InvokeAsync(object message, ActorRef? sender)
    {
        _message = message;
        _sender = sender;
        try
        {
            await _actor.ReceiveAsync(this).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            System.Log.ActorFailed(Path, message.GetType().Name, exception);
            _message = null;
            _sender = null;
            await BeginStopAsync($"failed: {exception.GetType().Name}: {exception.Message}").ConfigureAwait(false);
        }
        finally
        {
            _message = null;
            _sender = null;
        }
    }

    private readonly record struct Envelope(object Message, ActorRef? Sender);

    private sealed class GuardianActor : IActor
    {
        public Task ReceiveAsync(IContext context) => Task.CompletedTask;
    }
}
