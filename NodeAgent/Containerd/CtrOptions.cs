namespace LayerLock.NodeAgent.Containerd;

/// <summary>How to run <c>ctr</c> against one containerd.</summary>
/// <param name="CtrPath">The <c>ctr</c> executable, e.g. <c>/usr/bin/ctr</c> (a bare name is looked up on PATH).</param>
/// <param name="Address">containerd's gRPC socket, e.g. <c>/run/containerd/containerd.sock</c>.</param>
/// <param name="Namespace">The containerd namespace every call works in.</param>
/// <param name="Timeout">
/// How long one <c>ctr</c> call may run (pulls included) before it is stopped: SIGINT, then SIGKILL
/// <see cref="CtrRunner.StopGrace"/> later if it still runs; the call then throws <see cref="TimeoutException"/>.
/// <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> for no limit.
/// </param>
public sealed record CtrOptions(string CtrPath, string Address, string Namespace, TimeSpan Timeout)
{
    /// <summary>How long <c>ctr</c> may try to reach the socket (<c>--connect-timeout</c>); default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
