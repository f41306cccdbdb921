namespace LayerLock.NodeAgent.Containerd;

/// <summary>The <c>ctr</c> calls of the agent: <c>ctr.started</c>, then <c>ctr.finished</c> or <c>ctr.failed</c>.</summary>
internal sealed partial class CtrLog(ILogger logger)
{
    [LoggerMessage(EventId = 402, EventName = "ctr.started", Level = LogLevel.Debug,
        Message = "ctr.started {Verb} pid {Pid}")]
    public partial void Started(string verb, int pid);

    [LoggerMessage(EventId = 400, EventName = "ctr.finished", Level = LogLevel.Debug,
        Message = "ctr.finished {Verb} exit {ExitCode} after {ElapsedMs} ms: ctr {Arguments}")]
    public partial void Finished(string verb, int exitCode, long elapsedMs, string arguments);

    [LoggerMessage(EventId = 401, EventName = "ctr.failed", Level = LogLevel.Warning,
        Message = "ctr.failed {Verb} after {ElapsedMs} ms: {Error}")]
    public partial void Failed(string verb, long elapsedMs, string error);
}
