using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using CliWrap;
using CliWrap.Buffered;
using LayerLock.NodeAgent.Containerd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LayerLock.Specs.Support;

/// <summary>
/// A private, real containerd for one spec: its own root, state and sockets under /tmp/ll-XXXXXXXX
/// (short, because a unix socket path holds about 108 bytes), the CRI plugin off. Disposing kills it
/// with SIGKILL and deletes the directory.
/// </summary>
internal sealed class ContainerdInstance : IAsyncDisposable
{
    public const string CtrPath = "/usr/bin/ctr";
    private const string ContainerdPath = "/usr/bin/containerd";
    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly List<string> _output = [];

    private ContainerdInstance(string directory, Process process)
    {
        Directory = directory;
        _process = process;
    }

    /// <summary>The instance's directory: config, root, state, sockets.</summary>
    public string Directory { get; }

    /// <summary>containerd's gRPC socket.</summary>
    public string Socket => Path.Combine(Directory, "containerd.sock");

    /// <summary>containerd's own log lines so far (for failure messages).</summary>
    public string Transcript
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    /// <summary>Starts containerd and waits (bounded) until <c>ctr version</c> gets an answer from it.</summary>
    public static async Task<ContainerdInstance> StartAsync()
    {
        var directory = $"/tmp/ll-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        System.IO.Directory.CreateDirectory(directory);
        var config = Path.Combine(directory, "config.toml");
        File.WriteAllText(config, $"""
            version = 2
            root = "{directory}/root"
            state = "{directory}/state"
            disabled_plugins = ["io.containerd.grpc.v1.cri"]

            [grpc]
              address = "{directory}/containerd.sock"

            [ttrpc]
              address = "{directory}/containerd.sock.ttrpc"

            [debug]
              address = "{directory}/debug.sock"
              level = "warn"
            """);
        var info = new ProcessStartInfo(ContainerdPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(config);
        var process = new Process { StartInfo = info };
        var instance = new ContainerdInstance(directory, process);
        process.OutputDataReceived += (_, e) => instance.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => instance.OnLine(e.Data);
        try
        {
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            await instance.WaitUntilAnsweringAsync();
            return instance;
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }
    }

    /// <summary>A <see cref="CtrRunner"/> for <paramref name="ns"/> on this containerd.</summary>
    public CtrRunner Ctr(string ns, ILogger? logger = null) =>
        new(new CtrOptions(CtrPath, Socket, ns, CallTimeout), logger ?? NullLogger.Instance);

    /// <summary>
    /// Adds <paramref name="content"/> to the content store of <paramref name="ns"/> with
    /// <c>ctr content ingest</c> (fed on standard input), labels it as a GC root so containerd keeps it,
    /// and returns its digest.
    /// </summary>
    public async Task<string> IngestAsync(string ns, byte[] content)
    {
        var digest = $"sha256:{Convert.ToHexStringLower(SHA256.HashData(content))}";

        // Unreferenced content is fair game for containerd's garbage collector (its first run comes
        // 100 ms after start) until the label makes it a root; if a collection slips in between, ingest again.
        for (var attempt = 1; ; attempt++)
        {
            await CtrAsync(
                PipeSource.FromBytes(content),
                "--address", Socket, "--namespace", ns, "content", "ingest",
                "--expected-digest", digest, "--expected-size", content.Length.ToString(CultureInfo.InvariantCulture), $"spec-{Guid.NewGuid():N}");
            var label = await RunCtrAsync(CallTimeout, PipeSource.Null, "--address", Socket, "--namespace", ns, "content", "label", digest, "containerd.io/gc.root=spec");
            if (label.ExitCode == 0)
            {
                return digest;
            }

            if (attempt == 5 || !label.StandardError.Contains("not found", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"ctr content label {digest} failed (exit {label.ExitCode}) after {attempt} ingests: {label.StandardError.Trim()}");
            }
        }
    }

    /// <summary><c>ctr content rm</c>: the blob is gone from the content store, whatever still refers to it.</summary>
    public Task RemoveContentAsync(string ns, string digest) =>
        CtrAsync(PipeSource.Null, "--address", Socket, "--namespace", ns, "content", "rm", digest);

    /// <summary><c>ctr images import --no-unpack</c> of an OCI archive (pass "--all-platforms" / "--index-name X" as <paramref name="flags"/>).</summary>
    public Task ImportAsync(string ns, string archive, params string[] flags) =>
        CtrAsync(PipeSource.Null, ["--address", Socket, "--namespace", ns, "images", "import", "--no-unpack", .. flags, archive]);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }

        _process.Dispose();
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }

    private async Task WaitUntilAnsweringAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"containerd exited with code {_process.ExitCode} before it answered; it printed:\n{Transcript}");
            }

            // Each try is paced by ctr's own connect timeout, so this loop does not spin.
            var version = await RunCtrAsync(TimeSpan.FromSeconds(10), PipeSource.Null, "--address", Socket, "--connect-timeout", "200ms", "version");
            if (version.ExitCode == 0 && version.StandardOutput.Contains("Server:", StringComparison.Ordinal))
            {
                return;
            }

            if (deadline.Elapsed > StartPatience)
            {
                throw new TimeoutException($"containerd did not answer on {Socket} within {StartPatience}; ctr said: {version.StandardError.Trim()}; containerd printed:\n{Transcript}");
            }
        }
    }

    private static async Task CtrAsync(PipeSource input, params string[] arguments)
    {
        var result = await RunCtrAsync(CallTimeout, input, arguments);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"'ctr {string.Join(' ', arguments)}' failed (exit {result.ExitCode}): {result.StandardError.Trim()}");
        }
    }

    /// <summary>Runs ctr to its end (killed after <paramref name="timeout"/>, which then throws) and returns its exit code and output.</summary>
    private static async Task<BufferedCommandResult> RunCtrAsync(TimeSpan timeout, PipeSource input, params string[] arguments)
    {
        using var deadline = new CancellationTokenSource(timeout);
        return await Cli.Wrap(CtrPath)
            .WithArguments(arguments)
            .WithStandardInputPipe(input)
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(deadline.Token);
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Count < 1000)
            {
                _output.Add(line);
            }
        }
    }
}
