namespace LayerLock.LoadDriver.Workloads;

/// <summary>
/// A workload whose length is not <c>--warmup</c> + <c>--duration</c> + <c>--drain</c> (holder kills,
/// scale): it sets its own hard cap and runs under client-settings profiles of its own.
/// </summary>
public interface ISelfTimedWorkload : IWorkload
{
    /// <summary>The <c>--profile</c> values this workload accepts; the first is used when none is given.</summary>
    IReadOnlyList<string> Profiles { get; }

    /// <summary>The whole run's hard cap: past it the run is cancelled and fails.</summary>
    TimeSpan HardCap(WorkloadOptions options);
}
