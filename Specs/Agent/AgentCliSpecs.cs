using System.Text.Json;
using LayerLock.Specs.Locks.Contract;
using LayerLock.Specs.Mirror;
using LayerLock.Specs.Support;
using Xunit;

namespace LayerLock.Specs.Agent;

/// <summary>
/// A real agent process on a real containerd, with a real Coordinator: <c>NodeAgent pull</c> of
/// something that cannot be pulled ends with one clear line, a non-zero exit and no lock held.
/// </summary>
public sealed class AgentCliSpecs : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _state = new();
    private RunningCoordinator _coordinator = null!;
    private FakeRegistry _registry = null!;
    private ContainerdInstance _containerd = null!;
    private ChildProcess _agent = null!;
    private string _agentAddress = null!;

    public async Task InitializeAsync()
    {
        _coordinator = await RunningCoordinator.StartAsync();
        _registry = await FakeRegistry.StartAsync();
        _containerd = await ContainerdInstance.StartAsync();
        _agentAddress = $"127.0.0.1:{ChildProcess.FreePort()}";
        _agent = StartAgent("node-cli", _coordinator, _state, _agentAddress);
        await _agent.WaitForLineContainingAsync("Now listening on", Patience);

        // The agent reconciles its counts with containerd after it starts listening, and stops if
        // containerd cannot be asked then: a spec that stops containerd must wait for it.
        if (!_agent.Transcript.Contains("refcount.reconciled", StringComparison.Ordinal))
        {
            await _agent.WaitForLineContainingAsync("refcount.reconciled", Patience);
        }
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        await _containerd.DisposeAsync();
        await _registry.DisposeAsync();
        await _coordinator.DisposeAsync();
        _state.Dispose();
    }

    [Theory]
    [InlineData("missing image", "{registry}/test/nope:latest", "not found")]
    [InlineData("bad reference", "Not A Reference", "is not an image reference")]
    [InlineData("unreachable registry", "127.0.0.1:1/test/app:latest", "pull failed: ctr images pull failed")]
    public async Task Pull_of_something_unpullable_should_fail_with_one_line_and_hold_no_lock(string what, string reference, string expected)
    {
        var (exit, stdout, stderr) = await PullAsync(reference.Replace("{registry}", _registry.Host, StringComparison.Ordinal));

        Assert.NotEqual(0, exit);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(expected, line);
        Assert.StartsWith("pull failed: ", line);
        Assert.DoesNotContain("pulled", stdout);
        Assert.Equal(0, _coordinator.Table.Count);
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Theory]
    [InlineData("Not A Reference", "is not an image reference")]
    [InlineData("127.0.0.1:5000/never/pulled:1", "image 127.0.0.1:5000/never/pulled:1 is not in containerd namespace")]
    public async Task Rm_of_something_not_here_should_fail_with_one_line_and_change_no_count(string reference, string expected)
    {
        await using var rm = ChildProcess.Start("NodeAgent", "rm", reference, "--agent", _agentAddress);
        var exit = await rm.WaitForExitAsync(Patience);

        Assert.Equal(1, exit);
        var line = Assert.Single(rm.Transcript.Split('\n'), l => l.StartsWith("stderr: ", StringComparison.Ordinal));
        Assert.Contains(expected, line);
        Assert.DoesNotContain("   at ", rm.Transcript);
    }

    [Fact]
    public async Task Pull_with_containerd_stopped_should_fail_with_one_line_and_hold_no_lock()
    {
        await _containerd.DisposeAsync();

        var (exit, _, stderr) = await PullAsync($"{_registry.Host}/test/app:latest");

        Assert.NotEqual(0, exit);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(line.StartsWith("pull failed: ", StringComparison.Ordinal) && line.Contains("containerd", StringComparison.Ordinal), $"{line}\n---- the agent:\n{_agent.Transcript}");
        Assert.Equal(0, _coordinator.Table.Count);
    }

    [Fact]
    public async Task Pull_without_an_agent_should_say_where_it_looked()
    {
        var (exit, _, stderr) = await PullAsync("busybox", $"127.0.0.1:{ChildProcess.FreePort()}");

        Assert.Equal(1, exit);
        Assert.Contains("cannot reach the agent at 127.0.0.1:", stderr);
        Assert.Contains("is `NodeAgent run` running?", stderr);
    }

    [Theory]
    [InlineData("before its answer began", "*", "closed the connection before it answered")]
    [InlineData("while it streamed progress", "stalling", "closed the connection before it finished answering")]
    public async Task Pull_whose_agent_is_killed_mid_layer_should_fail_with_one_line_and_no_abort(string when, string heldLayer, string expected)
    {
        // A second agent that holds a layer's lock (every layer's, or only the stalling one's, after
        // the others have streamed progress) for a minute before transferring it.
        Assert.False(string.IsNullOrEmpty(when));
        using var state = new TempDirectory();
        var address = $"127.0.0.1:{ChildProcess.FreePort()}";
        await using var agent = StartAgent(
            "node-killed",
            _coordinator,
            state,
            address,
            $"--layerlock:agent:fault:hold-layer={(heldLayer == "stalling" ? FakeRegistry.Stalling : heldLayer)}",
            "--layerlock:agent:fault:hold-ms=60000");
        await agent.WaitForLineContainingAsync("Now listening on", Patience);
        var image = heldLayer == "stalling" ? "test/good-then-stalling:latest" : "test/app:latest";
        await using var pull = ChildProcess.Start("NodeAgent", "pull", $"{_registry.Host}/{image}", "--agent", address);
        await agent.WaitForLineContainingAsync(heldLayer == "stalling" ? $"lock.acquired {FakeRegistry.Stalling}" : "lock.acquired", Patience);
        if (heldLayer == "stalling")
        {
            await pull.WaitForLineContainingAsync(" done ", Patience);
        }

        Assert.True(_coordinator.Table.Count > 0, pull.Transcript + "\n----\n" + agent.Transcript);

        await agent.KillAsync();

        var exit = await pull.WaitForExitAsync(Patience);
        Assert.Equal(1, exit);
        var stderr = pull.Transcript.Split('\n').Where(l => l.StartsWith("stderr: ", StringComparison.Ordinal)).ToArray();
        var line = Assert.Single(stderr);
        Assert.Contains($"the agent at {address} {expected}", line);
        Assert.DoesNotContain("Unhandled", pull.Transcript);
        Assert.DoesNotContain("   at ", pull.Transcript);
    }

    [Fact]
    public async Task Pull_whose_lock_is_revoked_mid_transfer_should_name_the_lost_lock_not_what_ctr_saw()
    {
        // A Coordinator that revokes a holder whose transfer has not moved for 1 s; the registry's
        // stalling layer sends half its bytes and then nothing.
        await using var strict = await RunningCoordinator.StartAsync("layerlock.coordinator.stall.timeout = 1s");
        using var state = new TempDirectory();
        var address = $"127.0.0.1:{ChildProcess.FreePort()}";
        await using var agent = StartAgent("node-stalled", strict, state, address);
        await agent.WaitForLineContainingAsync("Now listening on", Patience);

        var (exit, _, stderr) = await PullAsync($"{_registry.Host}/test/good-then-stalling:latest", address);

        Assert.Equal(1, exit);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"pull failed: layer {FakeRegistry.Stalling} failed: lock lost during the transfer", line);
        Assert.Contains("(then ctr images pull failed", line);
    }

    [Theory]
    [InlineData("mirror")]
    [InlineData("listen")]
    public async Task An_agent_whose_port_is_taken_should_stop_with_one_line_and_no_abort(string which)
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var takenAddress = $"127.0.0.1:{((System.Net.IPEndPoint)taken.LocalEndpoint).Port}";
        using var state = new TempDirectory();
        await using var agent = which == "listen"
            ? StartAgent("node-port", _coordinator, state, takenAddress)
            : StartAgent("node-port", _coordinator, state, $"127.0.0.1:{ChildProcess.FreePort()}", "--mirror", takenAddress);

        var exit = await agent.WaitForExitAsync(Patience);

        Assert.True(exit is 1, $"exit {exit}\n{agent.Transcript}");
        var errors = agent.Transcript.Split('\n').Where(l => l.StartsWith("stderr: ", StringComparison.Ordinal)).ToArray();
        var line = Assert.Single(errors);
        Assert.Contains(takenAddress, line);
        Assert.False(agent.Transcript.Contains("   at ", StringComparison.Ordinal), agent.Transcript);
        Assert.DoesNotContain("Unhandled", agent.Transcript);
    }

    [Fact]
    public async Task The_refcount_actor_should_log_through_Akka_into_the_agent_log_files_with_its_fields()
    {
        // Logged as the actor starts, maybe before the line the start waited for.
        if (!_agent.Transcript.Contains("refcount.loaded", StringComparison.Ordinal))
        {
            await _agent.WaitForLineContainingAsync("refcount.loaded", Patience);
        }

        // The console sink writes an event after the file sinks, which write through.
        var json = Directory.GetFiles(Path.Combine(_state.Path, "logs"), "plugin*.jsonl").Single();
        await using var file = new FileStream(json, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(file);
        var loaded = (await reader.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Single(e => e.GetProperty("MessageTemplate").GetString()!.StartsWith("refcount.loaded ", StringComparison.Ordinal));
        var properties = loaded.GetProperty("Properties");
        Assert.Equal("Information", loaded.GetProperty("Level").GetString());
        Assert.Equal(0, properties.GetProperty("Layers").GetInt32());
        Assert.Equal(Path.Combine(_state.Path, "refcounts.json"), properties.GetProperty("Path").GetString());
        Assert.Equal("LayerLock.NodeAgent.RefCounts.RefCountActor", properties.GetProperty("SourceContext").GetString());
        Assert.Equal("akka://layerlock/user/refcounts", properties.GetProperty("LogSource").GetString());
        Assert.Equal("agent", properties.GetProperty("Process").GetString());
    }

    /// <summary><c>NodeAgent run</c> on this spec's containerd and registry; <paramref name="extra"/> flags come last and win.</summary>
    private ChildProcess StartAgent(string node, RunningCoordinator coordinator, TempDirectory state, string address, params string[] extra) =>
        ChildProcess.Start(
            "NodeAgent",
            [
                "run",
                "--node", node,
                "--coordinator", coordinator.BaseAddress.ToString(),
                "--containerd", _containerd.Socket,
                "--state-dir", state.Path,
                "--listen", address,
                "--mirror", $"127.0.0.1:{ChildProcess.FreePort()}",
                "--plain-http", $"{_registry.Host},127.0.0.1:1",
                "--log-dir", Path.Combine(state.Path, "logs"),
                .. extra,
            ]);

    private async Task<(int Exit, string Stdout, string Stderr)> PullAsync(string reference, string? agent = null)
    {
        await using var pull = ChildProcess.Start("NodeAgent", "pull", reference, "--agent", agent ?? _agentAddress);
        var exit = await pull.WaitForExitAsync(Patience);
        var lines = pull.Transcript.Split('\n');
        var stderr = string.Join('\n', lines.Where(l => l.StartsWith("stderr: ", StringComparison.Ordinal)).Select(l => l["stderr: ".Length..]));
        var stdout = string.Join('\n', lines.Where(l => !l.StartsWith("stderr: ", StringComparison.Ordinal)));
        return (exit, stdout, stderr);
    }
}
