using LayerLock.LoadDriver.Systems;

namespace LayerLock.LoadDriver.Workloads;

/// <summary>What a run was started with beyond the workload's shape, for workloads that start helpers of their own (the kill workload's holder processes) or watch the server.</summary>
/// <param name="System">The system's command-line name (<c>layerlock-remote</c>, <c>etcd</c>, …).</param>
/// <param name="SystemOptions">The adapter options the run's system was created with (after <c>--profile</c>).</param>
/// <param name="Profile">The <c>--profile</c> in force, or null when the run's raw flags apply.</param>
/// <param name="Server">The server process (<c>--server-pid</c>), or null.</param>
public sealed record RunContext(string System, LockSystemOptions SystemOptions, string? Profile, ProcessUsage? Server);
