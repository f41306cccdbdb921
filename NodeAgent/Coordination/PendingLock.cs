namespace LayerLock.NodeAgent.Coordination;

/// <summary>A waiting lock request of the agent.</summary>
internal sealed class PendingLock(string key, TimeSpan wait, IProgress<LockQueuedProgress>? progress)
{
    public string Key { get; } = key;

    public TimeSpan Wait { get; } = wait;

    public IProgress<LockQueuedProgress>? Progress { get; } = progress;

    public DateTime RequestedAt { get; } = DateTime.UtcNow;

    public TaskCompletionSource<LockLease> Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
