using System.Collections.Concurrent;
using System.Threading.Channels;

namespace LayerLock.Actors;

/// <summary>
/// The runtime of one actor: its mailbox, its children and its DeathWatch bookkeeping.
/// Everything but <see cref="Post"/>, <see cref="PostSystem"/> and the child registry runs on
/// the mailbox loop, one message at a time.
/// </summary>
internal sealed partial class ActorCell : IContext
{
    // Messages handled per turn before the loop yields its thread to other actors.
    private const int BatchSize = 32;

    // Written to the user channel after a system message is queued, so the loop wakes up.
    private static readonly object Wake = new();

    private readonly ConcurrentQueue<SystemMessage> _systemMessages = new();
    private readonly Channel<Envelope> _mailbox = Channel.CreateUnbounded<Envelope>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

    private readonly TaskCompletionSource _terminated = new(TaskCreationOptions.RunContinuationsAsynchronously);
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

    internal Task WhenTerminated => _terminated.Task;

    private string Path => Self.Path;

    internal static ActorCell CreateGuardian(ActorSystem system, string path)
    {
        var cell = new ActorCell(system, new LocalActorRef(system, path), parent: null, new GuardianActor());
        cell.Start();
        return cell;
    }

    internal void Post(object message, ActorRef? sender)
    {
        if (!_mailbox.Writer.TryWrite(new Envelope(message, sender)))
        {
            System.PublishDeadLetter(message, sender, Self);
        }
    }

    internal void PostSystem(SystemMessage message)
    {
        // Queue first, then wake: the loop reads the wake-up only after the message is visible.
        // If the mailbox is already closed, this cell is dead and answers the message itself.
        _systemMessages.Enqueue(message);
        if (!_mailbox.Writer.TryWrite(new Envelope(Wake, null)))
        {
            AnswerSystemMessagesWhenDead();
        }
    }

    private void Start() => _ = Task.Run(RunAsync);

    private async Task RunAsync()
    {
        try
        {
            await InvokeAsync(Started.Instance, null).ConfigureAwait(false);
            var reader = _mailbox.Reader;
            while (_state != CellState.Dead && await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                var handled = 0;
                while (handled < BatchSize && _state != CellState.Dead && reader.TryRead(out var envelope))
                {
                    handled++;

                    // System messages go before the user message just taken.
                    await ProcessSystemMessagesAsync().ConfigureAwait(false);
                    if (ReferenceEquals(envelope.Message, Wake))
                    {
                        continue;
                    }

                    if (_state == CellState.Running)
                    {
                        await InvokeAsync(envelope.Message, envelope.Sender).ConfigureAwait(false);
                    }
                    else
                    {
                        System.PublishDeadLetter(envelope.Message, envelope.Sender, Self);
                    }
                }

                if (handled == BatchSize)
                {
                    await Task.Yield();
                }
            }
        }
        catch (Exception exception)
        {
            System.Log.KernelFault(Path, exception);
            _state = CellState.Stopping;
            await FinishStopAsync().ConfigureAwait(false);
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
