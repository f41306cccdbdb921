using System.Text.Json;
using LayerLock.Hosting;
using LayerLock.Specs.Support;
using Xunit;

namespace LayerLock.Specs.Hosting;

/// <summary>
/// The real programs and their folders: an agent's log file named after its node, and a folder that
/// cannot be written stopping a start with one line and exit code 73. Every process here is given
/// its folders under a temp folder, so none writes into /var/lib or /var/log.
/// </summary>
public sealed class DaemonDirectoriesSpecs : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task An_agent_given_only_a_log_dir_should_log_to_plugin_node_log_and_jsonl_there()
    {
        var logs = Path.Combine(_temp.Path, "logs");
        var state = Path.Combine(_temp.Path, "state");

        // No containerd needed: the agent logs process.started, then stops on the missing ctr (exit 1).
        await using var agent = StartAgent("node-dirs", "--state-dir", state, "--log-dir", logs, "--layerlock:agent:ctr=/nonexistent/ctr");
        Assert.Equal(1, await agent.WaitForExitAsync(Patience));

        Assert.Equal(["plugin-node-dirs.jsonl", "plugin-node-dirs.log"], Directory.GetFiles(logs).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using var started = JsonDocument.Parse(File.ReadLines(Path.Combine(logs, "plugin-node-dirs.jsonl")).First());
        Assert.StartsWith("process.started", started.RootElement.GetProperty("MessageTemplate").GetString(), StringComparison.Ordinal);
        var settings = started.RootElement.GetProperty("Properties").GetProperty("Settings");
        Assert.Equal(logs, settings.GetProperty("layerlock:log:dir").GetString());
        Assert.Equal("plugin-node-dirs.log", settings.GetProperty("layerlock:log:file").GetString());
        Assert.Equal(state, settings.GetProperty("layerlock:agent:state-dir").GetString());
        Assert.Contains("process.started", await File.ReadAllTextAsync(Path.Combine(logs, "plugin-node-dirs.log")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_coordinator_should_stop_with_one_line_and_exit_73_when_its_log_dir_cannot_be_created()
    {
        var blocker = _temp.Write("a-file", "not a folder");

        await using var coordinator = ChildProcess.Start(
            "Coordinator",
            "--addr", $"127.0.0.1:{ChildProcess.FreePort()}",
            "--state-dir", Path.Combine(_temp.Path, "state"),
            "--log-dir", Path.Combine(blocker, "logs"));

        Assert.Equal(DirectoryNotWritableException.ExitCode, await coordinator.WaitForExitAsync(Patience));
        var line = Assert.Single(coordinator.Transcript.Split('\n'), l => l.Length > 0);
        Assert.Equal($"stderr: coordinator: cannot write the log folder {Path.Combine(blocker, "logs")}: {blocker} is a file, not a folder; pass --log-dir DIR", line);
        Assert.False(Directory.Exists(Path.Combine(_temp.Path, "state")), "nothing else should be created");
    }

    [Fact]
    public async Task An_agent_should_stop_with_one_line_and_exit_73_when_its_state_dir_cannot_be_created()
    {
        var blocker = _temp.Write("a-file", "not a folder");
        var logs = Path.Combine(_temp.Path, "logs");

        await using var agent = StartAgent("node-blocked", "--state-dir", Path.Combine(blocker, "state"), "--log-dir", logs);

        Assert.Equal(DirectoryNotWritableException.ExitCode, await agent.WaitForExitAsync(Patience));
        var line = Assert.Single(agent.Transcript.Split('\n'), l => l.Length > 0);
        Assert.Equal($"stderr: NodeAgent run: cannot write the state folder {Path.Combine(blocker, "state")}: {blocker} is a file, not a folder; pass --state-dir DIR", line);
    }

    private static ChildProcess StartAgent(string node, params string[] extra) =>
        ChildProcess.Start(
            "NodeAgent",
            [
                "run",
                "--node", node,
                "--coordinator", $"http://127.0.0.1:{ChildProcess.FreePort()}",
                "--containerd", "/nonexistent/containerd.sock",
                "--listen", $"127.0.0.1:{ChildProcess.FreePort()}",
                "--mirror", $"127.0.0.1:{ChildProcess.FreePort()}",
                .. extra,
            ]);
}
