using LayerLock.Specs.Support;
using Xunit;

namespace LayerLock.Specs.Agent;

/// <summary><c>NodeAgent run</c> refusing to start: one line on stderr, exit code 1, nothing changed.</summary>
public sealed class AgentCliStartSpecs : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _state = new();

    public void Dispose() => _state.Dispose();

    [Fact]
    public async Task Run_on_a_corrupt_refcounts_file_should_stop_with_one_line_naming_it_and_leave_it_alone()
    {
        var path = _state.Write("refcounts.json", "{\"sha256:aa\": 2");

        await using var agent = ChildProcess.Start(
            "NodeAgent",
            "run",
            "--node", "node-corrupt",
            "--coordinator", $"http://127.0.0.1:{ChildProcess.FreePort()}",
            "--containerd", "/nonexistent/containerd.sock",
            "--state-dir", _state.Path,
            "--listen", $"127.0.0.1:{ChildProcess.FreePort()}",
            "--mirror", $"127.0.0.1:{ChildProcess.FreePort()}",
            "--log-dir", Path.Combine(_state.Path, "logs"));
        var exit = await agent.WaitForExitAsync(Patience);

        Assert.Equal(1, exit);
        var stderr = agent.Transcript.Split('\n').Where(l => l.StartsWith("stderr: ", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(stderr);
        Assert.StartsWith("stderr: NodeAgent: ", line);
        Assert.Contains($"{path} is not a valid reference-count file", line);
        Assert.Equal("{\"sha256:aa\": 2", File.ReadAllText(path));
    }
}
