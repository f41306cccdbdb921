using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LayerLock.Actors;

/// <summary>
/// A named home for actors. Top-level actors live under <c>/user</c>. Disposing the system
/// stops every actor (children before parents) and waits for them.
/// </summary>
/// <example>
/// <code>
/// await using var system = new ActorSystem("coordinator", loggerFactory);
/// var manager = system.Spawn(Props.Create&lt;LockManager&gt;(), "lock-manager"); // /user/lock-manager
/// </code>
/// </example>
public sealed class ActorSystem : IAsyncDisposable
{
    private readonly ActorCell _userGuardian;
    private readonly ActorCell _systemGuardian;
    private long _tempIds;
    private int _disposed;

    /// <param name="name">Shown in logs; letters, digits, '-' and '_'.</param>
    /// <param name="loggerFactory">Where kernel events (failures, dead letters) are logged; none when null.</param>
    /// <param name="timeProvider">Clock for timers and ask timeouts; the system clock when null.</param>
    public ActorSystem(string name, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new ArgumentException($"actor system name '{name}' may hold only letters, digits, '-' and '_'", nameof(name));
        }

        Name = name;
        TimeProvider = timeProvider ?? TimeProvider.System;
        Log = new ActorLog((loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("LayerLock.Actors"));
        DeadLetters = new DeadLetterRef(this);
        _userGuardian = ActorCell.CreateGuardian(this, "/user");
        _systemGuardian = ActorCell.CreateGuardian(this, "/system");
    }

    public string Name { get; }

    public TimeProvider TimeProvider { get; }

    /// <summary>Undeliverable messages end here; each is logged and published as <see cref="DeadLetter"/>.</summary>
    public ActorRef DeadLetters { get; }

    public EventStream EventStream { get; } = new();

    /// <summary>Completes when every actor has stopped after <see cref="DisposeAsync"/>.</summary>
    public Task WhenTerminated => Task.WhenAll(_userGuardian.WhenTerminated, _systemGuardian.WhenTerminated);

    internal ActorLog Log { get; }

    /// <summary>Starts a top-level actor at <c>/user/&lt;name&gt;</c>.</summary>
    /// <exception cref="InvalidOperationException">The name is taken by a live top-level actor.</exception>
    /// <exception cref="ObjectDisposedException">The system is disposed.</exception>
    public ActorRef Spawn(Props props, string? name = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        return _userGuardian.SpawnChild(props, name);
    }

    /// <summary>Starts a kernel-side actor at <c>/system/&lt;name&gt;</c> (test probes, infrastructure).</summary>
    public ActorRef SpawnSystemActor(Props props, string? name = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        return _systemGuardian.SpawnChild(props, name);
    }

    /// <summary>Stops a local actor, as <see cref="IContext.Stop"/> does. Remote references are left alone.</summary>
    public void Stop(ActorRef actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor is LocalActorRef)
        {
            actor.SendSystemMessage(StopRequest.Instance);
        }
    }

    /// <summary>Stops all user actors, then all system actors, and waits for every one of them.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            await WhenTerminated.ConfigureAwait(false);
            return;
        }

        _userGuardian.Self.SendSystemMessage(StopRequest.Instance);
        await _userGuardian.WhenTerminated.ConfigureAwait(false);
        _systemGuardian.Self.SendSystemMessage(StopRequest.Instance);
        await _systemGuardian.WhenTerminated.ConfigureAwait(false);
    }

    public override string ToString() => $"ActorSystem({Name})";

    internal long NextTempId() => Interlocked.Increment(ref _tempIds);

    internal void PublishDeadLetter(object message, ActorRef? sender, ActorRef recipient)
    {
        Log.DeadLetter(recipient.Path, message.GetType().Name, sender?.Path ?? "none");

        // A dead letter about a dead letter (a dead subscriber) is logged only, never republished.
        if (message is not DeadLetter)
        {
            EventStream.Publish(new DeadLetter(message, sender, recipient));
        }
    }
}
