using System.Text.Json;
using LayerLock.Specs.Locks.Contract;
using LayerLock.Specs.Support;

namespace LayerLock.Specs.Faults;

/// <summary>The fault specs' helpers: starting agents, pulling, reading counts and events.</summary>
public sealed partial class RegistryFaultSpecs
{
    private static SortedDictionary<string, int> Counts(params (string Layer, int Count)[] counts) =>
        new(counts.ToDictionary(c => c.Layer, c => c.Count), StringComparer.Ordinal);

    private async Task<RunningCoordinator> StartCoordinatorAsync(string hocon = "")
    {
        var coordinator = await RunningCoordinator.StartAsync(hocon);
        _disposables.Add(coordinator);
        return coordinator;
    }

    private TempDirectory Directory()
    {
        var directory = new TempDirectory();
        _directories.Add(directory);
        return directory;
    }

    /// <summary><c>NodeAgent run</c> on this spec's containerd, pulling through the proxy; waits until it has reconciled its counts.</summary>
    private async Task<(ChildProcess Agent, string Address)> StartAgentAsync(string node, RunningCoordinator coordinator, TempDirectory? state = null, params string[] extra) =>
        await StartAgentAsync(node, coordinator, _containerd, state, extra);

    private async Task<(ChildProcess Agent, string Address)> StartAgentAsync(string node, RunningCoordinator coordinator, ContainerdInstance containerd, TempDirectory? state = null, params string[] extra)
    {
        state ??= Directory();
        var address = $"127.0.0.1:{ChildProcess.FreePort()}";
        var agent = ChildProcess.Start(
            "NodeAgent",
            [
                "run",
                "--node", node,
                "--coordinator", coordinator.BaseAddress.ToString(),
                "--containerd", containerd.Socket,
                "--state-dir", state.Path,
                "--listen", address,
                "--mirror", $"127.0.0.1:{ChildProcess.FreePort()}",
                "--plain-http", _proxy.Host,
                "--log-dir", Path.Combine(state.Path, "logs"),
                .. extra,
            ]);
        _disposables.Add(agent);
        await agent.WaitForLineContainingAsync("refcount.reconciled", Patience);
        return (agent, address);
    }

    private async Task<(int Exit, string[] Stderr, string Transcript)> PullAsync(string agent, string reference)
    {
        await using var pull = ChildProcess.Start("NodeAgent", "pull", reference, "--agent", agent);
        var exit = await pull.WaitForExitAsync(Patience);
        if (exit != 0)
        {
            output.WriteLine($"pull {reference}: exit {exit}\n{pull.Transcript}");
        }

        return (exit, [.. pull.Transcript.Split('\n').Where(l => l.StartsWith("stderr: ", StringComparison.Ordinal)).Select(l => l["stderr: ".Length..])], pull.Transcript);
    }

    private async Task<int> RemoveAsync(string agent, string reference)
    {
        await using var rm = ChildProcess.Start("NodeAgent", "rm", reference, "--agent", agent);
        var exit = await rm.WaitForExitAsync(Patience);
        output.WriteLine($"rm {reference}: exit {exit}\n{rm.Transcript}");
        return exit;
    }

    private static async Task<SortedDictionary<string, int>> RefsAsync(string agent)
    {
        using var http = new HttpClient();
        using var refs = JsonDocument.Parse(await http.GetStringAsync(new Uri($"http://{agent}/v1/refs")));
        return new(
            refs.RootElement.GetProperty("ref_counts").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32()),
            StringComparer.Ordinal);
    }
}
