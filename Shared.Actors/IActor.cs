namespace LayerLock.Actors;

/// <summary>
/// An actor: state touched only from its own mailbox, one message at a time.
/// </summary>
public interface IActor
{
    /// <summary>
    /// Handles <see cref="IContext.Message"/>. The next message is not delivered until the
    /// returned task completes. An exception stops the actor; its watchers and parent get
    /// <see cref="Terminated"/>.
    /// </summary>
    Task ReceiveAsync(IContext context);
}
