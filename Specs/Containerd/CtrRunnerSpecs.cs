using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using LayerLock.NodeAgent.Containerd;
using LayerLock.Specs.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace LayerLock.Specs.Containerd;

/// <summary>
/// CtrRunner against a private, real containerd (one per spec). Where a behaviour needs a ctr that the
/// real one cannot be made into (one that ignores SIGINT, one that floods standard error), a shell
/// script written by the spec stands in for ctr; those specs say so.
/// </summary>
public sealed class CtrRunnerSpecs : IAsyncLifetime
{
    private const string Namespace = "spec";

    // The command line of the SIGINT-ignoring stand-in's child, as /proc shows it.
    private const string SleepCmdline = "sleep\u0000600";

    // Bounds every wait of these specs; none of them should come near it.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly CapturedLog _log = new();
    private ContainerdInstance _containerd = null!;

    private CtrRunner Ctr => _containerd.Ctr(Namespace);

    public async Task InitializeAsync() => _containerd = await ContainerdInstance.StartAsync();

    public async Task DisposeAsync() => await _containerd.DisposeAsync();

    [Fact]
    public async Task CheckAsync_should_succeed_when_containerd_answers()
    {
        await Ctr.CheckAsync(CancellationToken.None);
    }

    [Fact]
    public async Task CheckAsync_should_say_containerd_cannot_be_reached_on_a_wrong_socket()
    {
        var wrongSocket = Path.Combine(_containerd.Directory, "nothing.sock");
        var ctr = new CtrRunner(
            new CtrOptions(ContainerdInstance.CtrPath, wrongSocket, Namespace, TimeSpan.FromSeconds(30)) { ConnectTimeout = TimeSpan.FromMilliseconds(300) },
            NullLogger.Instance);

        var error = await Assert.ThrowsAsync<CtrException>(() => ctr.CheckAsync(CancellationToken.None));

        Assert.StartsWith($"cannot reach containerd at {wrongSocket}: is it running?", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task CheckAsync_should_say_ctr_is_not_found_when_its_path_is_wrong()
    {
        var ctr = new CtrRunner(new CtrOptions("/nonexistent/ctr", _containerd.Socket, Namespace, TimeSpan.FromSeconds(30)), NullLogger.Instance);

        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => ctr.CheckAsync(CancellationToken.None));

        Assert.Equal("ctr not found at '/nonexistent/ctr': install containerd (apt-get install containerd)", error.Message);
    }

    [Fact]
    public async Task Blob_queries_should_see_ingested_content_and_copy_it_byte_for_byte()
    {
        var content = Encoding.UTF8.GetBytes($"layer bytes {Guid.NewGuid()}\u0000\u00ff");
        var digest = await _containerd.IngestAsync(Namespace, content);
        var absent = OciArchive.Digest(Encoding.UTF8.GetBytes("never ingested"));
        using var copy = new MemoryStream();

        var digests = await Ctr.ListBlobDigestsAsync(CancellationToken.None);
        await Ctr.CopyBlobAsync(digest, copy, CancellationToken.None);

        Assert.Contains(digest, digests);
        Assert.True(await Ctr.HasBlobAsync(digest, CancellationToken.None));
        Assert.False(await Ctr.HasBlobAsync(absent, CancellationToken.None));
        Assert.False(await _containerd.Ctr("other").HasBlobAsync(digest, CancellationToken.None));
        Assert.Equal(content, copy.ToArray());
    }

    [Fact]
    public async Task A_failing_command_should_raise_CtrException_with_the_last_stderr_line()
    {
        var absent = OciArchive.Digest(Encoding.UTF8.GetBytes("never ingested"));

        var error = await Assert.ThrowsAsync<CtrException>(() => Ctr.CopyBlobAsync(absent, Stream.Null, CancellationToken.None));

        Assert.Equal($"ctr content get failed (exit 1): ctr: content digest {absent}: not found", error.Message);
        Assert.Equal(1, error.ExitCode);
        Assert.Contains("not found", error.Stderr);
        Assert.Equal(["--address", _containerd.Socket, "--namespace", Namespace], error.Arguments.Take(4));
        Assert.Contains(absent, error.Arguments);
    }

    [Fact]
    public async Task An_imported_image_should_be_listed_with_its_layers_and_go_with_its_blobs_when_removed()
    {
        var archive = new OciArchive();
        var manifest = archive.AddManifest(CtrRunner.HostPlatform, "first layer", "second layer");
        var path = Path.Combine(_containerd.Directory, "demo.tar");
        archive.Write(path, "example.com/spec/demo:v1");
        await _containerd.ImportAsync(Namespace, path);

        var images = await Ctr.ListImagesAsync(CancellationToken.None);
        var layers = await Ctr.ImageLayersAsync("example.com/spec/demo:v1", CancellationToken.None);
        var blobsBefore = await Ctr.ListBlobDigestsAsync(CancellationToken.None);
        await Ctr.RemoveImageAsync("example.com/spec/demo:v1", CancellationToken.None);
        var imagesAfter = await Ctr.ListImagesAsync(CancellationToken.None);
        var blobsAfter = await Ctr.ListBlobDigestsAsync(CancellationToken.None);

        Assert.Equal(["example.com/spec/demo:v1"], images);
        Assert.Equal(manifest.Layers, layers);
        Assert.Superset(manifest.Layers.Append(manifest.Digest).ToHashSet(), blobsBefore.ToHashSet());
        Assert.Empty(imagesAfter);
        Assert.DoesNotContain(manifest.Layers[0], blobsAfter);
        Assert.DoesNotContain(manifest.Layers[1], blobsAfter);
    }

    [Fact]
    public async Task ImageLayersAsync_should_pick_the_host_platform_from_a_multi_platform_index()
    {
        var archive = new OciArchive();
        var other = archive.AddManifest(CtrRunner.HostPlatform == "linux/arm64" ? "linux/amd64" : "linux/arm64", "other platform");
        var host = archive.AddManifest(CtrRunner.HostPlatform, "host layer one", "host layer two");
        var path = Path.Combine(_containerd.Directory, "multi.tar");
        var index = archive.Write(path, "example.com/spec/multi:v1", asIndex: true);
        await _containerd.ImportAsync(Namespace, path, "--all-platforms");

        var layers = await Ctr.ImageLayersAsync("example.com/spec/multi:v1", CancellationToken.None);

        Assert.NotEqual(host.Digest, index);
        Assert.Equal(host.Layers, layers);
        Assert.DoesNotContain(other.Layers[0], layers);
    }

    [Fact]
    public async Task ImageLayersAsync_should_name_an_image_that_is_not_there()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Ctr.ImageLayersAsync("example.com/spec/absent:v1", CancellationToken.None));

        Assert.Contains("example.com/spec/absent:v1 is not in containerd namespace 'spec'", error.Message);
    }

    [Fact]
    public async Task CopyBlobAsync_should_stream_a_large_binary_blob_byte_for_byte()
    {
        // Every byte value, many pipe buffers' worth.
        var content = new byte[3 * 1024 * 1024 + 17];
        new Random(20261130).NextBytes(content);
        for (var value = 0; value < 256; value++)
        {
            content[value] = (byte)value;
        }

        var digest = await _containerd.IngestAsync(Namespace, content);
        using var copy = new MemoryStream();

        await Bounded(Ctr.CopyBlobAsync(digest, copy, CancellationToken.None));

        Assert.Equal(content.Length, copy.Length);
        Assert.Equal(content, copy.ToArray());
    }

    [Fact]
    public async Task CopyBlobAsync_should_kill_ctr_and_rethrow_when_the_destination_refuses_the_bytes()
    {
        var content = new byte[4 * 1024 * 1024];
        new Random(7).NextBytes(content);
        var digest = await _containerd.IngestAsync(Namespace, content);
        var ctr = _containerd.Ctr(Namespace, _log.CreateLogger("ctr"));

        // ctr has far more to write than the limit and the pipe hold, so it is still running when the destination throws.
        var error = await Assert.ThrowsAsync<InvalidDataException>(
            () => Bounded(ctr.CopyBlobAsync(digest, new LimitedStream(Stream.Null, 64 * 1024, digest), CancellationToken.None)));

        Assert.Equal($"{digest} is larger than 65536 bytes; it is not a manifest", error.Message);
        AssertGone(StartedPid("content get"), digest);
    }

    [Fact]
    public async Task PullAsync_should_stop_ctr_and_throw_TimeoutException_when_the_call_outlives_its_timeout()
    {
        // A real ctr that blocks: its pull waits for a registry that never answers.
        using var registry = new StallingRegistry();
        using var hosts = new TempDirectory();
        registry.WriteHostsToml(hosts.Path);
        var reference = $"{registry.Host}/spec/stall-{Guid.NewGuid():N}:v1";
        var ctr = new CtrRunner(new CtrOptions(ContainerdInstance.CtrPath, _containerd.Socket, Namespace, TimeSpan.FromSeconds(2)), _log.CreateLogger("ctr"));

        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => Bounded(ctr.PullAsync(reference, hosts.Path, null, CancellationToken.None)));

        Assert.StartsWith($"ctr images pull did not finish within 2000 ms and was stopped: ctr --address {_containerd.Socket} ", timeout.Message);
        Assert.EndsWith(reference, timeout.Message);
        AssertGone(StartedPid("images pull"), reference);
    }

    [Fact]
    public async Task PullAsync_should_stop_ctr_and_throw_OperationCanceled_when_cancelled()
    {
        // A real ctr that blocks: its pull waits for a registry that never answers.
        using var registry = new StallingRegistry();
        using var hosts = new TempDirectory();
        registry.WriteHostsToml(hosts.Path);
        var reference = $"{registry.Host}/spec/stall-{Guid.NewGuid():N}:v1";
        var ctr = _containerd.Ctr(Namespace, _log.CreateLogger("ctr"));
        using var cancel = new CancellationTokenSource();

        var pull = ctr.PullAsync(reference, hosts.Path, null, cancel.Token);
        if (await Task.WhenAny(registry.FirstRequest, pull).WaitAsync(Patience) == pull)
        {
            await pull;
            Assert.Fail("the pull ended before it reached the registry");
        }

        var pid = StartedPid("images pull");
        Assert.Contains("/v2/spec/stall-", await registry.FirstRequest);
        Assert.True(IsRunning(pid, reference), $"ctr (pid {pid}) should still be waiting for the registry");
        await cancel.CancelAsync();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded(pull));

        Assert.Equal(cancel.Token, error.CancellationToken);
        Assert.Equal("ctr images pull was cancelled and stopped", error.Message);
        AssertGone(pid, reference);
    }

    [Fact]
    public async Task A_ctr_that_ignores_SIGINT_should_be_interrupted_first_and_killed_with_its_children_after_the_grace()
    {
        // A shell script stands in for ctr: the real one dies of SIGINT, so it cannot show the SIGKILL
        // that must follow. It notes each SIGINT and SIGTERM and carries on; its child `sleep` shows the
        // kill takes the whole tree.
        using var directory = new TempDirectory();
        var standIn = WriteStandIn(directory, """
            #!/bin/sh
            trap 'echo INT >> "$0.signals"' INT
            trap 'echo TERM >> "$0.signals"' TERM
            sleep 600 &
            child=$!
            echo "$$ $child"
            while kill -0 "$child" 2>/dev/null; do wait "$child"; done
            """);
        var ctr = new CtrRunner(new CtrOptions(standIn, _containerd.Socket, Namespace, Timeout.InfiniteTimeSpan), _log.CreateLogger("ctr"));
        var pidsPrinted = new TaskCompletionSource<int[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cancel = new CancellationTokenSource();

        var pull = ctr.PullAsync(
            "example.com/spec/ignored:v1",
            directory.Path,
            line => pidsPrinted.TrySetResult([.. line.Split(' ').Select(pid => int.Parse(pid, CultureInfo.InvariantCulture))]),
            cancel.Token);
        var pids = await pidsPrinted.Task.WaitAsync(Patience);
        var (shell, sleep) = (pids[0], pids[1]);
        try
        {
            Assert.True(IsRunning(shell, standIn) && IsRunning(sleep, SleepCmdline), "the stand-in and its child should run until stopped");
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded(pull));

            AssertGone(shell, standIn);
            AssertGone(sleep, SleepCmdline);
        }
        finally
        {
            // Should the runner have failed to, stop what this spec started rather than leave it behind.
            KillIfRunning(shell, standIn);
            KillIfRunning(sleep, SleepCmdline);
        }

        // A process started with SIGINT ignored passes that on and a shell cannot trap it then; only then
        // is there no SIGINT to see.
        if (!SigIntIgnoredHere())
        {
            var signals = File.Exists($"{standIn}.signals") ? await File.ReadAllTextAsync($"{standIn}.signals") : "";
            Assert.Equal("INT\n", signals);
        }
    }

    [Fact]
    public async Task A_failing_command_should_keep_only_the_tail_of_a_huge_stderr()
    {
        // A shell script stands in for ctr: no verb CtrRunner runs makes the real one print this much to stderr.
        using var directory = new TempDirectory();
        var standIn = WriteStandIn(directory, """
            #!/bin/sh
            head -c 300000 /dev/zero | tr '\000' x >&2
            printf '\nthe-reason\n' >&2
            exit 4
            """);
        var ctr = new CtrRunner(new CtrOptions(standIn, _containerd.Socket, Namespace, TimeSpan.FromSeconds(30)), NullLogger.Instance);

        var error = await Assert.ThrowsAsync<CtrException>(() => Bounded(ctr.ListImagesAsync(CancellationToken.None)));

        Assert.Equal("ctr images ls failed (exit 4): the-reason", error.Message);
        Assert.Equal(4, error.ExitCode);
        Assert.True(error.Stderr.Length <= CtrRunner.StderrLimit, $"stderr kept {error.Stderr.Length} characters");
        Assert.StartsWith("[stderr truncated]\nxxxx", error.Stderr);
        Assert.EndsWith("xxxx\nthe-reason\n", error.Stderr);
    }

    private static void KillIfRunning(int pid, string cmdlinePart)
    {
        if (IsRunning(pid, cmdlinePart))
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill();
        }
    }

    /// <summary>Awaits <paramref name="call"/>, failing the spec instead of hanging if it does not end within <see cref="Patience"/>.</summary>
    private static async Task Bounded(Task call)
    {
        try
        {
            await call.WaitAsync(Patience);
        }
        catch (TimeoutException) when (!call.IsCompleted)
        {
            Assert.Fail($"the call did not end within {Patience}");
        }
    }

    /// <summary>The PID of the ctr process started for <paramref name="verb"/>, from the runner's <c>ctr.started</c> event.</summary>
    private int StartedPid(string verb)
    {
        var started = Assert.Single(_log.Entries, entry => entry.EventName == "ctr.started" && entry.Message.StartsWith($"ctr.started {verb} pid ", StringComparison.Ordinal));
        return int.Parse(Regex.Match(started.Message, @"pid (\d+)$").Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private static string WriteStandIn(TempDirectory directory, string script)
    {
        var path = directory.Write("ctr", script + "\n");
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("these specs run ctr, on Linux");
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>Waits (bounded) until <paramref name="pid"/> no longer runs the process whose command line holds <paramref name="cmdlinePart"/>.</summary>
    private static void AssertGone(int pid, string cmdlinePart) =>
        Assert.True(SpinWait.SpinUntil(() => !IsRunning(pid, cmdlinePart), Patience), $"pid {pid} ({cmdlinePart}) still runs");

    /// <summary>True while <paramref name="pid"/> is alive (not a zombie) and its command line holds <paramref name="cmdlinePart"/> (so a reused PID does not count).</summary>
    private static bool IsRunning(int pid, string cmdlinePart)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
            return !stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z') && cmdline.Contains(cmdlinePart, StringComparison.Ordinal);
        }
        catch (Exception gone) when (gone is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return false;
        }
    }

    /// <summary>True if this process ignores SIGINT (started as a background job of a script): its children then do too.</summary>
    private static bool SigIntIgnoredHere()
    {
        var ignored = File.ReadLines("/proc/self/status").First(line => line.StartsWith("SigIgn:", StringComparison.Ordinal));
        return (ulong.Parse(ignored["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture) & (1UL << (2 - 1))) != 0;
    }
}
