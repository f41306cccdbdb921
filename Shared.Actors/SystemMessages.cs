namespace LayerLock.Actors;

/// <summary>Kernel-internal messages; handled before any user message in the mailbox.</summary>
internal abstract record SystemMessage;

internal sealed record WatchRequest(ActorRef Watchee, ActorRef Watcher) : SystemMessage;

internal sealed record UnwatchRequest(ActorRef Watchee, ActorRef Watcher) : SystemMessage;

internal sealed record StopRequest : SystemMessage
{
    public static readonly StopRequest Instance = new();
}

internal sealed record DeathWatchNotification(ActorRef Actor, string Reason) : SystemMessage;
