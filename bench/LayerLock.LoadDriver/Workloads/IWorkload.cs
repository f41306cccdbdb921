using LayerLock.LoadDriver.Systems;

namespace LayerLock.LoadDriver.Workloads;

/// <summary>
/// One way of loading a lock system (uncontended cycles, hand-offs on one key, …). A workload
/// connects its own clients, runs for the warm-up and then the measured duration, drains, and
/// reports what it measured and what it checked.
/// </summary>
public interface IWorkload
{
    /// <summary>The name on the command line and in results.</summary>
    string Name { get; }

    /// <summary>Clients when <c>--clients</c> is not given.</summary>
    int DefaultClients { get; }

    /// <summary>Flags of this workload only (name without <c>--</c> → help text); the run command refuses other unknown flags.</summary>
    IReadOnlyDictionary<string, string> ExtraFlags { get; }

    /// <param name="cancellation">The run's hard cap: fires when the workload has overrun its time by far.</param>
    Task<WorkloadResult> RunAsync(ILockSystem system, WorkloadOptions options, CancellationToken cancellation);
}
