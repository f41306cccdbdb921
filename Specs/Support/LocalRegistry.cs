using System.Diagnostics;
using CliWrap;
using CliWrap.Buffered;

namespace LayerLock.Specs.Support;

/// <summary>
/// A real <c>docker-registry</c> (distribution 2.8, Debian's package) for one spec: plain HTTP on
/// 127.0.0.1, storage in its own temporary directory. Images are pushed with <c>skopeo</c> from an
/// <see cref="OciArchive"/>. Disposing SIGKILLs the registry (only the process started here) and
/// deletes its directory.
/// </summary>
internal sealed class LocalRegistry : IAsyncDisposable
{
    private const string RegistryPath = "/usr/bin/docker-registry";
    private const string SkopeoPath = "/usr/bin/skopeo";
    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan PushTimeout = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _directory;
    private readonly Process _process;
    private readonly List<string> _output = [];

    private LocalRegistry(TempDirectory directory, Process process, int port)
    {
        _directory = directory;
        _process = process;
        Host = $"127.0.0.1:{port}";
    }

    /// <summary>"127.0.0.1:PORT".</summary>
    public string Host { get; }

    /// <summary>The registry's own log: one access-log line per request (for failure messages).</summary>
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

    /// <summary>Starts the registry and waits (bounded) until <c>GET /v2/</c> answers.</summary>
    public static async Task<LocalRegistry> StartAsync()
    {
        var directory = new TempDirectory();
        var port = ChildProcess.FreePort();
        var config = Path.Combine(directory.Path, "config.yml");
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            log:
              level: warn
              accesslog:
                disabled: false
            storage:
              filesystem:
                rootdirectory: {directory.Path}/data
            http:
              addr: 127.0.0.1:{port}
              secret: layerlock-spec-secret
            health:
              storagedriver:
                enabled: false
            """);
        var info = new ProcessStartInfo(RegistryPath, ["serve", config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = new Process { StartInfo = info };
        var registry = new LocalRegistry(directory, process, port);
        process.OutputDataReceived += (_, e) => registry.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => registry.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var answer = await http.GetAsync(new Uri($"http://{registry.Host}/v2/"));
                if (answer.IsSuccessStatusCode)
                {
                    return registry;
                }
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            if (process.HasExited || waited.Elapsed > StartPatience)
            {
                var transcript = registry.Transcript;
                await registry.DisposeAsync();
                throw new InvalidOperationException($"docker-registry did not answer on {registry.Host} within {StartPatience}; it printed:\n{transcript}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }

    /// <summary>Pushes the image in <paramref name="archive"/> (an OCI archive file) as <c>HOST/REPOSITORY:latest</c>; returns that reference.</summary>
    public async Task<string> PushAsync(string archive, string repository)
    {
        var reference = $"{Host}/{repository}:latest";
        using var timeout = new CancellationTokenSource(PushTimeout);
        var result = await Cli.Wrap(SkopeoPath)
            .WithArguments(["--insecure-policy", "copy", "-q", "--dest-tls-verify=false", $"oci-archive:{archive}", $"docker://{reference}"])
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(timeout.Token);
        return result.ExitCode == 0
            ? reference
            : throw new InvalidOperationException($"skopeo push of {reference} failed ({result.ExitCode}): {result.StandardError}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }

            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }

        _process.Dispose();
        _directory.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.Add(line);
            }
        }
    }
}
