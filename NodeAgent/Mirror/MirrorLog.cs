namespace LayerLock.NodeAgent.Mirror;

internal sealed partial class MirrorLog(ILogger logger)
{
    [LoggerMessage(EventId = 500, EventName = "mirror.manifest", Level = LogLevel.Information,
        Message = "mirror.manifest {Repository}:{Reference} lists {Layers} layers")]
    public partial void Manifest(string repository, string reference, int layers);

    [LoggerMessage(EventId = 501, EventName = "layer.transfer", Level = LogLevel.Information,
        Message = "layer.transfer {Layer} bytes {Bytes} ms {Ms} success {Success} error {Error}")]
    public partial void Transfer(string layer, long bytes, long ms, bool success, string? error);

    [LoggerMessage(EventId = 502, EventName = "fault.injected", Level = LogLevel.Warning,
        Message = "FAULT INJECTION {Fault} on layer {Layer}: {Detail}")]
    public partial void Fault(string fault, string layer, string detail);

    [LoggerMessage(EventId = 503, EventName = "mirror.lock-not-acquired", Level = LogLevel.Warning,
        Message = "mirror.lock-not-acquired {Layer}: {Reason}")]
    public partial void NotAcquired(string layer, string reason);

    [LoggerMessage(EventId = 504, EventName = "mirror.served-locally", Level = LogLevel.Information,
        Message = "mirror.served-locally {Layer} from this node's content store ({Why})")]
    public partial void ServedLocally(string layer, string why);

    [LoggerMessage(EventId = 505, EventName = "mirror.upstream-error", Level = LogLevel.Warning,
        Message = "mirror.upstream-error {Url}: {Error}")]
    public partial void UpstreamError(string url, string error);

    [LoggerMessage(EventId = 506, EventName = "lock.lost", Level = LogLevel.Warning,
        Message = "lock.lost {Layer} token {Token} at release: {Reason}")]
    public partial void LostAtRelease(string layer, long token, string reason);

    [LoggerMessage(EventId = 507, EventName = "fault.enabled", Level = LogLevel.Warning,
        Message = "FAULT INJECTION IS ON: fail-layer {FailLayer} after {FailAfterBytes} bytes; hold-layer {HoldLayer} for {HoldMs} ms")]
    public partial void FaultsEnabled(string? failLayer, long failAfterBytes, string? holdLayer, long holdMs);

    [LoggerMessage(EventId = 508, EventName = "layer.resume", Level = LogLevel.Warning,
        Message = "layer.resume {Layer} attempt {Attempt} of {Attempts} ended at byte {Position}: {Error}; asking again from that byte in {BackoffMs} ms, still under the lock")]
    public partial void Resuming(string layer, int attempt, int attempts, long position, long backoffMs, string error);

    [LoggerMessage(EventId = 509, EventName = "layer.peer-transfer", Level = LogLevel.Information,
        Message = "layer.peer-transfer {Layer} from {Source} bytes {Bytes} ms {Ms} success {Success} error {Error}")]
    public partial void PeerTransfer(string layer, string source, long bytes, long ms, bool success, string? error);

    [LoggerMessage(EventId = 510, EventName = "peer.fallback", Level = LogLevel.Warning,
        Message = "peer.fallback {Layer}: the fetch from {Source} failed ({Error}); asking again without it")]
    public partial void PeerFallback(string layer, string source, string error);
}
