using System.Net;
using System.Net.Sockets;
using LayerLock.Specs.Support;
using Xunit;

namespace LayerLock.Specs.Agent;

/// <summary>
/// Issue 11, item 6: every verb ends a failure with one line that says what failed and what to
/// do, and a documented exit code (README: 1 the work failed, 2 bad usage or setting) — never a
/// stack trace, never an abort signal. Real processes, real sockets.
/// </summary>
public sealed class CliErrorPathSpecs : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _dirs = new();

    public void Dispose() => _dirs.Dispose();

    [Theory]
    [InlineData("refs")]
    [InlineData("status")]
    [InlineData("rm", "127.0.0.1:5000/app:1")]
    public async Task A_client_verb_without_an_agent_should_say_where_it_looked(string verb, string? reference = null)
    {
        var address = $"127.0.0.1:{ChildProcess.FreePort()}";

        var (exit, line) = await RunAsync("NodeAgent", [verb, .. reference is null ? [] : new[] { reference }, "--agent", address]);

        Assert.Equal(1, exit);
        Assert.StartsWith($"NodeAgent {verb}: cannot reach the agent at {address}: ", line);
        Assert.EndsWith("(is `NodeAgent run` running?)", line);
    }

    [Theory]
    [InlineData("rm", "NodeAgent rm: an image reference is required; usage: NodeAgent rm REF [--agent ADDR]")]
    [InlineData("pull --agent 127.0.0.1:1", "NodeAgent pull: '--agent' where the image reference should be; usage: NodeAgent pull REF [--agent ADDR]")]
    [InlineData("refs --verbose", "NodeAgent refs: unexpected arguments '--verbose'; usage: NodeAgent refs [--agent ADDR]")]
    [InlineData("lock", "NodeAgent lock: a lock key is required; usage: NodeAgent lock KEY --node NODE --coordinator URL [--hold-ms N] [--fail TEXT] [--log-dir DIR]")]
    [InlineData("frobnicate", "NodeAgent: unknown verb 'frobnicate'; the verbs are run, pull, refs, status, rm, lock (NodeAgent --help)")]
    public async Task Bad_usage_should_be_one_line_naming_the_mistake_and_exit_2(string arguments, string expected)
    {
        var (exit, line) = await RunAsync("NodeAgent", arguments.Split(' '));

        Assert.Equal(2, exit);
        Assert.Equal(expected, line);
    }

    [Fact]
    public async Task Lock_without_a_coordinator_should_say_so_within_seconds_not_after_the_lock_wait()
    {
        var coordinator = $"http://127.0.0.1:{ChildProcess.FreePort()}";

        var (exit, line) = await RunAsync("NodeAgent", ["lock", "sha256:abc", "--node", "node-cli", "--coordinator", coordinator, "--state-dir", _dirs.Path, "--log-dir", _dirs.Path]);

        Assert.Equal(1, exit);
        Assert.Equal($"NodeAgent lock: cannot reach the coordinator at {coordinator}/ within 15 s; is it running, and is --coordinator right?", line);
    }

    [Theory]
    [InlineData("http")]
    [InlineData("agents")]
    public async Task A_coordinator_whose_port_is_taken_should_stop_with_one_line_and_exit_1(string which)
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var (http, agents) = which == "http" ? (port, ChildProcess.FreePort()) : (ChildProcess.FreePort(), port);

        var (exit, line) = await RunAsync("Coordinator", ["--addr", $"127.0.0.1:{http}", $"--akka:remote:dot-netty:tcp:port={agents}", "--state-dir", _dirs.Path, "--log-dir", _dirs.Path]);

        Assert.Equal(1, exit);
        Assert.StartsWith(which == "http" ? $"coordinator: cannot listen on 127.0.0.1:{port}" : $"coordinator: cannot listen for agents on 127.0.0.1:{port}", line);
    }

    [Theory]
    [InlineData("--addr nowhere", "coordinator: layerlock:coordinator:addr = 'nowhere' must be host:port, e.g. 127.0.0.1:8080")]
    [InlineData("--config /nonexistent/coordinator.conf", "coordinator: config file '/nonexistent/coordinator.conf' does not exist")]
    [InlineData("--layerlock:coordinator:stall:window 0s", "coordinator: layerlock:coordinator:stall:window must be above zero while stall.min-rate is on")]
    [InlineData("--layerlock:coordinator:page:stall-timeout 500ms", "coordinator: layerlock:coordinator:page:stall-timeout must be at least 1s (a page's writes wait on the kernel for up to a second)")]
    public async Task A_coordinator_with_a_bad_setting_should_stop_with_one_line_and_exit_2(string arguments, string expected)
    {
        var (exit, line) = await RunAsync("Coordinator", [.. arguments.Split(' '), "--state-dir", _dirs.Path, "--log-dir", _dirs.Path]);

        Assert.Equal(2, exit);
        Assert.Equal(expected, line);
    }

    /// <summary>Runs the program to its end; asserts there is exactly one stderr line and no stack trace anywhere.</summary>
    private static async Task<(int Exit, string Line)> RunAsync(string program, string[] arguments)
    {
        await using var process = ChildProcess.Start(program, arguments);
        var exit = await process.WaitForExitAsync(Patience);
        var transcript = process.Transcript;
        Assert.DoesNotContain("   at ", transcript);
        Assert.DoesNotContain("Unhandled", transcript);
        var stderr = transcript.Split('\n').Where(l => l.StartsWith("stderr: ", StringComparison.Ordinal)).ToList();
        Assert.True(stderr.Count == 1, transcript);
        return (exit, stderr[0]["stderr: ".Length..]);
    }
}
