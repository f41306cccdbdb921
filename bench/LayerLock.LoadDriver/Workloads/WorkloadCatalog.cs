namespace LayerLock.LoadDriver.Workloads;

/// <summary>The workloads the driver knows, by their command-line name.</summary>
public static class WorkloadCatalog
{
    public static IReadOnlyList<IWorkload> All { get; } = [new UncontendedWorkload(), new HandoffWorkload(), new KillWorkload(), new ScaleWorkload()];

    public static IWorkload? Find(string name) => All.FirstOrDefault(w => w.Name == name);
}
