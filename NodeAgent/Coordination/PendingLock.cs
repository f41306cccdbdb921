namespace LayerLock.NodeAgent.Coordination;

/// <summary>A waiting lock request of the agent.</summary>
internal sealed class PendingLock(string key, TimeSpan wait, IProgress<LockQueuedProgress>? progress, string? registry = null)
{
    public string Key { get; } = key;

    /// <summary>The upstream registry the lock is for (<see cref="Messages.Locks.AcquireLock.Registry"/>); null = none.</summary>
    public string? Registry { get; } = registry;

    public TimeSpan Wait { get; } = wait;

    public IProgress<LockQueuedProgress>? Progress { get; } = progress;

    public DateTime RequestedAt { get; } = DateTime.UtcNow;

    public TaskCompletionSource<LockLease> Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
