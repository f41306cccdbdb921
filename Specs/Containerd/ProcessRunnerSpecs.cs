using LayerLock.NodeAgent.Containerd;
using Xunit;

namespace LayerLock.Specs.Containerd;

public sealed class ProcessRunnerSpecs
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RunAsync_should_collect_stdout_lines_and_pass_each_to_the_callback()
    {
        var seen = new List<string>();

        var result = await ProcessRunner.RunAsync("/bin/sh", ["-c", "printf 'one\\ntwo words\\n'; echo oops >&2; exit 3"], Long, CancellationToken.None, onStdoutLine: seen.Add);

        Assert.Equal(3, result.ExitCode);
        Assert.Equal("one\ntwo words", result.Stdout);
        Assert.Equal(["one", "two words"], seen);
        Assert.Equal("oops\n", result.Stderr);
    }

    [Fact]
    public async Task RunAsync_should_pass_arguments_without_a_shell()
    {
        var result = await ProcessRunner.RunAsync("/bin/echo", ["$HOME", "a b", "'q'"], Long, CancellationToken.None);

        Assert.Equal("$HOME a b 'q'", result.Stdout);
    }

    [Fact]
    public async Task RunAsync_should_hand_binary_stdout_to_the_stream_reader()
    {
        using var copy = new MemoryStream();

        var result = await ProcessRunner.RunAsync("/bin/sh", ["-c", "printf '\\000\\001\\377'"], Long, CancellationToken.None, readStdout: (stdout, c) => stdout.CopyToAsync(copy, c));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(new byte[] { 0, 1, 255 }, copy.ToArray());
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task RunAsync_should_keep_only_the_last_64_KiB_of_stderr()
    {
        var result = await ProcessRunner.RunAsync("/bin/sh", ["-c", "head -c 300000 /dev/zero | tr '\\000' x >&2; echo the-reason >&2; exit 4"], Long, CancellationToken.None);

        Assert.Equal(4, result.ExitCode);
        Assert.True(result.Stderr.Length <= ProcessRunner.StderrLimit, $"stderr kept {result.Stderr.Length} chars");
        Assert.StartsWith("[stderr truncated]", result.Stderr);
        Assert.EndsWith("the-reason\n", result.Stderr);
    }

    [Fact]
    public async Task RunAsync_should_kill_the_process_tree_and_throw_a_timeout_naming_the_command()
    {
        // A unique sleep length marks the grandchild, so it can be looked for even if the shell is
        // killed before it could say anything.
        var marker = $"30.{Random.Shared.Next(100_000, 999_999)}";

        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => ProcessRunner.RunAsync(
            "/bin/sh", ["-c", $"sleep {marker} & wait"], TimeSpan.FromMilliseconds(200), CancellationToken.None));

        Assert.Equal($"'/bin/sh -c sleep {marker} & wait' did not finish within 200 ms and was killed", timeout.Message);
        Assert.True(
            SpinWait.SpinUntil(() => LiveProcesses().All(cmdline => cmdline != $"sleep\0{marker}\0"), TimeSpan.FromSeconds(5)),
            $"sleep {marker} still runs");
    }

    [Fact]
    public async Task RunAsync_should_kill_the_process_tree_and_throw_when_cancelled()
    {
        using var cancel = new CancellationTokenSource();
        var pids = new List<int>();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ProcessRunner.RunAsync(
            "/bin/sh",
            ["-c", "sleep 30 & echo $!; echo $$; wait"],
            Long,
            cancel.Token,
            onStdoutLine: line =>
            {
                pids.Add(int.Parse(line, System.Globalization.CultureInfo.InvariantCulture));
                if (pids.Count == 2)
                {
                    cancel.Cancel();
                }
            }));

        Assert.Equal(2, pids.Count);
        AssertDead(pids);
    }

    [Fact]
    public async Task RunAsync_should_throw_FileNotFound_for_a_missing_executable()
    {
        var missing = await Assert.ThrowsAsync<FileNotFoundException>(
            () => ProcessRunner.RunAsync("/nonexistent/ll-tool", [], Long, CancellationToken.None));

        Assert.Contains("/nonexistent/ll-tool", missing.Message);
        Assert.Equal("/nonexistent/ll-tool", missing.FileName);
    }

    private static void AssertDead(params IEnumerable<int> pids)
    {
        foreach (var pid in pids)
        {
            // The direct child is reaped before RunAsync returns; a grandchild is reaped by init
            // shortly after its SIGKILL, so wait for that (bounded), not for a fixed time.
            Assert.True(SpinWait.SpinUntil(() => IsGoneOrZombie(pid), TimeSpan.FromSeconds(5)), $"pid {pid} still runs");
        }
    }

    private static IEnumerable<string> LiveProcesses()
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && !IsGoneOrZombie(pid))
            {
                string? cmdline = null;
                try
                {
                    cmdline = File.ReadAllText(Path.Combine(directory, "cmdline"));
                }
                catch (Exception gone) when (gone is FileNotFoundException or DirectoryNotFoundException or IOException)
                {
                }

                if (cmdline is not null)
                {
                    yield return cmdline;
                }
            }
        }
    }

    private static bool IsGoneOrZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (Exception gone) when (gone is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return true;
        }
    }
}
