using LayerLock.LoadDriver.Systems;
using LayerLock.LoadDriver.Workloads;

namespace LayerLock.LoadDriver.Cli;

/// <summary>The run flags every workload shares beyond its shape: <c>--profile</c> and <c>--server-pid</c>.</summary>
internal static class RunFlags
{
    /// <summary><c>--server-pid PID</c>: the server process whose memory each run records; null when not given.</summary>
    /// <exception cref="UsageException">Not a process whose <c>/proc/PID/status</c> can be read.</exception>
    public static ProcessUsage? Server(CommandLine line)
    {
        var pid = line.Integer("server-pid", 0, 1, int.MaxValue);
        if (pid == 0)
        {
            return null;
        }

        return ProcessUsage.Of(pid) ?? throw new UsageException($"--server-pid {pid}: /proc/{pid}/status cannot be read; is the server running (on Linux)?");
    }

    /// <summary>
    /// <c>--profile NAME</c>: each system's client settings by name (<see cref="LockProfiles"/>) instead of
    /// <c>--ttl</c>/<c>--retry-ms</c>. A self-timed workload (kill, scale) runs under its first profile when none
    /// is given and neither of those flags is; other workloads keep the raw flags.
    /// </summary>
    /// <returns>The profile in force (null = the raw flags) and the adapter options it gives.</returns>
    /// <exception cref="UsageException">An unknown profile, one the workload does not take, or a profile together with --ttl/--retry-ms.</exception>
    public static (string? Profile, LockSystemOptions Options) Profile(CommandLine line, IWorkload workload, string system, LockSystemOptions fromFlags)
    {
        var accepted = workload is ISelfTimedWorkload timed ? timed.Profiles : [LockProfiles.Default, LockProfiles.Aggressive];
        var rawFlags = line.Optional("ttl") is not null || line.Optional("retry-ms") is not null;
        var profile = line.Optional("profile");
        if (profile is not null && rawFlags)
        {
            throw new UsageException("--profile sets the TTL and retry interval itself; give either --profile or --ttl/--retry-ms");
        }

        if (profile is not null && !accepted.Contains(profile))
        {
            throw new UsageException($"--profile must be one of {string.Join(", ", accepted)} for {workload.Name}; got '{profile}'");
        }

        profile ??= workload is ISelfTimedWorkload && !rawFlags ? accepted[0] : null;
        return profile is null ? (null, fromFlags) : (profile, LockProfiles.Apply(profile, system, fromFlags));
    }

    /// <summary>Adds the profile to the run's params and the server's memory at the end of the run to its metrics.</summary>
    public static void RecordEnd(ProcessUsage? server, string? profile, WorkloadResult result)
    {
        if (profile is not null)
        {
            result.Params["profile"] = profile;
        }

        if (server is null)
        {
            return;
        }

        if (server.TryRead() is { } end)
        {
            result.Metrics["server_rss_mib"] = end.RssMib;
            result.Metrics["server_hwm_mib"] = end.HwmMib;
        }
        else
        {
            result.Notes.Add($"the server process {server.Pid} was gone at the end of the run: no memory recorded");
            result.Checks["server_gone"] = 1;
        }
    }
}
