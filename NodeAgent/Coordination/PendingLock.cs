namespace LayerLock.NodeAgent.Coordination;

/// <summary>A waiting lock request of the agent.</summary>
internal sealed class PendingLock(string key, TimeSpan wait, IProgress<LockQueuedProgress>? progress, string? registry = null, IReadOnlyList<string>? exclude = null)
{
    /// <summary>Nodes whose peer transfer of this layer failed for this node (<see cref="Messages.Locks.AcquireLock.ExcludeSources"/>).</summary>
    public IReadOnlyList<string>? Exclude { get; } = exclude;

    public string Key { get; } = key;

    /// <summary>The upstream registry the lock is for (<see cref="Messages.Locks.AcquireLock.Registry"/>); null = none.</summary>
    public string? Registry { get; } = registry;

    public TimeSpan Wait { get; } = wait;

    public IProgress<LockQueuedProgress>? Progress { get; } = progress;

    public DateTime RequestedAt { get; } = DateTime.UtcNow;

    public TaskCompletionSource<LockLease> Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
