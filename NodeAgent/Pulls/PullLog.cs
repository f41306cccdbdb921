namespace LayerLock.NodeAgent.Pulls;

internal sealed partial class PullLog(ILogger logger)
{
    [LoggerMessage(EventId = 600, EventName = "pull.started", Level = LogLevel.Information,
        Message = "pull.started {Reference} through the mirror (hosts dir {HostsDir})")]
    public partial void Started(string reference, string hostsDir);

    [LoggerMessage(EventId = 601, EventName = "pull.finished", Level = LogLevel.Information,
        Message = "pull.finished {Reference} success {Success} in {Ms} ms; error {Error}")]
    public partial void Finished(string reference, bool success, long ms, string? error);

    [LoggerMessage(EventId = 602, EventName = "image.removed", Level = LogLevel.Information,
        Message = "image.removed {Reference} ({Layers} layers); the counts are reconciled next")]
    public partial void Removed(string reference, int layers);

    [LoggerMessage(EventId = 603, EventName = "refcount.stale", Level = LogLevel.Warning,
        Message = "refcount.stale the counts were not reconciled after {Why}: {Error}; the next pull, rm or agent start reconciles them")]
    public partial void CountsStale(string why, string error);
}
