namespace LayerLock.NodeAgent.Containerd;

/// <summary>The <c>ctr</c> calls of the agent, one event each.</summary>
internal sealed partial class CtrLog(ILogger logger)
{
    [LoggerMessage(EventId = 400, EventName = "ctr.finished", Level = LogLevel.Debug,
        Message = "ctr.finished {Verb} exit {ExitCode} after {ElapsedMs} ms: ctr {Arguments}")]
    public partial void Finished(string verb, int exitCode, long elapsedMs, string arguments);

    [LoggerMessage(EventId = 401, EventName = "ctr.failed", Level = LogLevel.Warning,
        Message = "ctr.failed {Verb} after {ElapsedMs} ms: {Error}")]
    public partial void Failed(string verb, long elapsedMs, string error);
}
