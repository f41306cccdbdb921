namespace LayerLock.Actors;

/// <summary>
/// A handle to an actor: local, remote (<see cref="Remote.RemoteActorRef"/>) or a kernel
/// endpoint such as dead letters. Compared by identity; cheap to copy and keep.
/// </summary>
public abstract class ActorRef
{
    private protected ActorRef(ActorSystem system, string path)
    {
        System = system;
        Path = path;
    }

    /// <summary>The actor's path, e.g. <c>/user/lock-manager/sha256:…</c>.</summary>
    public string Path { get; }

    internal ActorSystem System { get; }

    /// <summary>
    /// Puts <paramref name="message"/> in the actor's mailbox and returns at once. A message to a
    /// dead actor goes to dead letters. Messages from one sender arrive in the order sent.
    /// </summary>
    public abstract void Tell(object message, ActorRef? sender = null);

    /// <summary>
    /// Sends <paramref name="message"/> and waits for the first reply.
    /// </summary>
    /// <exception cref="TimeoutException">No reply within <paramref name="timeout"/>; names this path and the message type.</exception>
    /// <exception cref="InvalidCastException">The reply is not a <typeparamref name="T"/>.</exception>
    public async Task<T> Ask<T>(object message, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(message);
        var reply = new FutureActorRef(System, this, message.GetType());
        Tell(message, reply);
        var answer = await reply.WaitAsync(timeout).ConfigureAwait(false);
        return answer is T typed
            ? typed
            : throw new InvalidCastException(
                $"ask to {Path} with {message.GetType().Name} expected a {typeof(T).Name} reply but got {answer.GetType().Name}");
    }

    internal abstract void SendSystemMessage(SystemMessage message);

    public override string ToString() => Path;
}
