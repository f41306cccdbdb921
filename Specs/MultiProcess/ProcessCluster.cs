using LayerLock.Specs.Support;

namespace LayerLock.Specs.MultiProcess;

/// <summary>A Coordinator process and lock-client processes on loopback, each recorded so it can be killed.</summary>
internal sealed class ProcessCluster : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly List<ChildProcess> _processes = [];
    private readonly string[] _coordinatorSettings;

    public ProcessCluster(params string[] coordinatorSettings)
    {
        _coordinatorSettings = coordinatorSettings;
        Port = ChildProcess.FreePort();
        RemotePort = ChildProcess.FreePort();
    }

    /// <summary>The Coordinator's Akka.Remote port: fixed per cluster, so a restarted Coordinator is where the agents last found it.</summary>
    public int RemotePort { get; }

    public TempDirectory Directory { get; } = new();

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    public string ServerLog => Path.Combine(Directory.Path, "logs", "server.log");

    /// <summary>Starts the Coordinator and waits until it listens.</summary>
    public async Task<ChildProcess> StartCoordinatorAsync()
    {
        var coordinator = Track(ChildProcess.Start(
            "Coordinator",
            [
                "--addr", $"127.0.0.1:{Port}",
                $"--akka:remote:dot-netty:tcp:port={RemotePort}",
                "--state-dir", Path.Combine(Directory.Path, "state"),
                "--log-dir", Path.Combine(Directory.Path, "logs"),
                .. _coordinatorSettings,
            ]));
        await coordinator.WaitForLineContainingAsync("Now listening on", Patience);
        return coordinator;
    }

    /// <summary>Starts <c>NodeAgent lock KEY</c> for <paramref name="node"/>.</summary>
    public ChildProcess StartLock(string key, string node, params string[] extra) =>
        Track(ChildProcess.Start(
            "NodeAgent",
            [
                "lock", key,
                "--coordinator", Url,
                "--node", node,
                "--log-dir", Path.Combine(Directory.Path, "logs", node),
                "--layerlock:agent:reconnect:initial=100ms",
                "--layerlock:agent:reconnect:max=500ms",
                .. extra,
            ]));

    public static long TokenOf(string line) =>
        long.Parse(line.Split(' ').Single(part => part.StartsWith("token=", StringComparison.Ordinal))["token=".Length..], System.Globalization.CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        Directory.Dispose();
    }

    private ChildProcess Track(ChildProcess process)
    {
        _processes.Add(process);
        return process;
    }
}
