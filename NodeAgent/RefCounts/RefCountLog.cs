namespace LayerLock.NodeAgent.RefCounts;

/// <summary>The reference-count events of the agent, one each, with stable names (DESIGN.md "Log events").</summary>
internal sealed partial class RefCountLog(ILogger logger)
{
    [LoggerMessage(EventId = 300, EventName = "skip.decision", Level = LogLevel.Information,
        Message = "skip.decision {Layer} refcount {RefCount} present {Present} skip {Skip}")]
    public partial void SkipDecision(string layer, int refCount, bool present, bool skip);

    [LoggerMessage(EventId = 301, EventName = "refcount.updated", Level = LogLevel.Information,
        Message = "refcount.updated {Layer} delta {Delta} value {Value}")]
    public partial void Updated(string layer, int delta, int value);

    [LoggerMessage(EventId = 302, EventName = "refcount.clamped", Level = LogLevel.Warning,
        Message = "refcount.clamped {Layer} delta {Delta} would take the count {From} below zero; it is set to 0")]
    public partial void Clamped(string layer, int delta, int from);

    [LoggerMessage(EventId = 303, EventName = "refcount.corrected", Level = LogLevel.Warning,
        Message = "refcount.corrected {Layer} from {From} to {To}: {Reason}")]
    public partial void Corrected(string layer, int from, int to, string reason);

    [LoggerMessage(EventId = 304, EventName = "refcount.reconciled", Level = LogLevel.Information,
        Message = "refcount.reconciled {Corrections} corrections; {Layers} layers counted, {Blobs} blobs in containerd")]
    public partial void Reconciled(int corrections, int layers, int blobs);

    [LoggerMessage(EventId = 305, EventName = "refcount.failed", Level = LogLevel.Error,
        Message = "refcount.failed {Layer} {Operation}: {Error}; nothing changed")]
    public partial void Failed(string layer, string operation, string error, Exception exception);

    [LoggerMessage(EventId = 306, EventName = "refcount.loaded", Level = LogLevel.Information,
        Message = "refcount.loaded {Layers} layers from {Path}; {StaleTempFiles} stale temp files removed")]
    public partial void Loaded(int layers, string path, int staleTempFiles);
}
