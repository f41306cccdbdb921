using Microsoft.Extensions.Logging;

namespace LayerLock.Actors;

/// <summary>The kernel's log events, with stable names and constant templates.</summary>
internal sealed partial class ActorLog(ILogger logger)
{
    public void ActorFailed(string path, string messageType, Exception exception) =>
        LogActorFailed(logger, path, messageType, exception);

    public void DeadLetter(string target, string messageType, string sender) =>
        LogDeadLetter(logger, target, messageType, sender);

    public void StoppedHandlerFailed(string path, Exception exception) =>
        LogStoppedHandlerFailed(logger, path, exception);

    public void KernelFault(string path, Exception exception) =>
        LogKernelFault(logger, path, exception);

    [LoggerMessage(EventId = 1, EventName = "actor.failed", Level = LogLevel.Error,
        Message = "actor.failed {Path} while handling {MessageType}; the actor stops")]
    private static partial void LogActorFailed(ILogger logger, string path, string messageType, Exception exception);

    [LoggerMessage(EventId = 2, EventName = "dead.letter", Level = LogLevel.Warning,
        Message = "dead.letter to {Target}: {MessageType} from {Sender}")]
    private static partial void LogDeadLetter(ILogger logger, string target, string messageType, string sender);

    [LoggerMessage(EventId = 3, EventName = "actor.stopped-handler-failed", Level = LogLevel.Error,
        Message = "actor.failed {Path} while handling Stopped; it stops anyway")]
    private static partial void LogStoppedHandlerFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(EventId = 4, EventName = "actor.kernel-fault", Level = LogLevel.Critical,
        Message = "kernel fault in the mailbox of {Path}")]
    private static partial void LogKernelFault(ILogger logger, string path, Exception exception);
}
