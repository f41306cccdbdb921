namespace LayerLock.LoadDriver.Workloads;

/// <param name="Clients">How many <see cref="Systems.ILockClient"/>s to connect.</param>
/// <param name="Duration">The measured window.</param>
/// <param name="Warmup">Run before the measured window, not counted.</param>
/// <param name="Drain">After the window, how long in-flight requests may take to finish before they are cancelled.</param>
/// <param name="RunId">Unique per run: prefixes keys and client names so runs never meet each other's leftovers.</param>
/// <param name="Extra">Values of the workload's own <see cref="IWorkload.ExtraFlags"/>, by flag name.</param>
public sealed record WorkloadOptions(
    int Clients,
    TimeSpan Duration,
    TimeSpan Warmup,
    TimeSpan Drain,
    string RunId,
    IReadOnlyDictionary<string, string> Extra)
{
    /// <summary>The run's system, profile and server process; null in specs that build options by hand.</summary>
    public RunContext? Context { get; init; }

    public string Key(string name) => $"bench/{RunId}/{name}";

    public string ClientName(int index) => $"bench-{RunId}-c{index}";
}
