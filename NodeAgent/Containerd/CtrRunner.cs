using System.Diagnostics;
using LayerLock.NodeAgent.RefCounts;

namespace LayerLock.NodeAgent.Containerd;

/// <summary>
/// Runs <c>ctr</c> as a child process against one containerd socket and namespace: every call is
/// <c>ctr --address ADDR --namespace NS --connect-timeout T VERB …</c>, killed after
/// <see cref="CtrOptions.Timeout"/>. A non-zero exit raises <see cref="CtrException"/>.
/// </summary>
public sealed partial class CtrRunner : IContentPresence
{
    private readonly CtrOptions _options;
    private readonly CtrLog _log;

    public CtrRunner(CtrOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options;
        _log = new CtrLog(logger);
    }

    public CtrOptions Options => _options;

    /// <summary>Checks that <c>ctr</c> exists and that containerd answers on the socket.</summary>
    /// <exception cref="FileNotFoundException">"ctr not found at '…': install containerd (apt-get install containerd)".</exception>
    /// <exception cref="CtrException">"cannot reach containerd at SOCKET: is it running? (…)".</exception>
    public async Task CheckAsync(CancellationToken cancellation)
    {
        ProcessResult result;
        try
        {
            result = await RunAsync("version", [], cancellation, throwOnFailure: false).ConfigureAwait(false);
        }
        catch (TimeoutException timeout)
        {
            throw new CtrException($"cannot reach containerd at {_options.Address}: is it running? ({timeout.Message})", -1, "", []);
        }

        // `ctr version` prints its client part even when the daemon does not answer; only the server part proves it does.
        if (result.ExitCode != 0 || !result.Stdout.Contains("Server:", StringComparison.Ordinal))
        {
            throw new CtrException(
                $"cannot reach containerd at {_options.Address}: is it running? ({CtrException.LastLine(result.Stderr)})",
                result.ExitCode,
                result.Stderr,
                GlobalArguments("version", []));
        }
    }

    /// <summary>
    /// <c>ctr images pull --hosts-dir DIR REF</c>. No <c>--plain-http</c>: the <c>hosts.toml</c> files
    /// under <paramref name="hostsDirectory"/> decide the scheme and the mirror.
    /// </summary>
    /// <param name="onLine">Called with each progress line ctr prints.</param>
    public async Task PullAsync(string reference, string hostsDirectory, Action<string>? onLine, CancellationToken cancellation)
    {
        ArgumentException.ThrowIfNullOrEmpty(reference);
        ArgumentException.ThrowIfNullOrEmpty(hostsDirectory);
        await RunAsync("images pull", ["--hosts-dir", hostsDirectory, reference], cancellation, onLine: onLine).ConfigureAwait(false);
    }

    /// <summary>The digests of every blob in the namespace's content store (<c>ctr content ls -q</c>).</summary>
    public async Task<IReadOnlySet<string>> ListBlobDigestsAsync(CancellationToken cancellation)
    {
        var result = await RunAsync("content ls", ["-q"], cancellation).ConfigureAwait(false);
        return Lines(result.Stdout).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>True if the content store holds the blob <paramref name="digest"/> (<c>sha256:…</c>).</summary>
    public async Task<bool> HasBlobAsync(string digest, CancellationToken cancellation)
    {
        ArgumentException.ThrowIfNullOrEmpty(digest);
        var digests = await ListBlobDigestsAsync(cancellation).ConfigureAwait(false);
        return digests.Contains(digest);
    }

    /// <summary>
    /// Streams the blob <paramref name="digest"/> into <paramref name="destination"/> (<c>ctr content get</c>).
    /// If it fails, <paramref name="destination"/> may hold part of the blob.
    /// </summary>
    public async Task CopyBlobAsync(string digest, Stream destination, CancellationToken cancellation)
    {
        ArgumentException.ThrowIfNullOrEmpty(digest);
        ArgumentNullException.ThrowIfNull(destination);
        await RunAsync("content get", [digest], cancellation, readStdout: (stdout, token) => stdout.CopyToAsync(destination, token)).ConfigureAwait(false);
    }

    /// <summary>The references of every image in the namespace (<c>ctr images ls -q</c>).</summary>
    public async Task<IReadOnlyList<string>> ListImagesAsync(CancellationToken cancellation)
    {
        var result = await RunAsync("images ls", ["-q"], cancellation).ConfigureAwait(false);
        return [.. Lines(result.Stdout)];
    }

    /// <summary>
    /// <c>ctr images rm --sync REF</c>. Only the image record goes; its blobs are garbage-collected by
    /// containerd once nothing references them (<c>--sync</c> waits for that collection, so the content
    /// store is accurate when this returns). Removing an image that does not exist succeeds.
    /// </summary>
    public async Task RemoveImageAsync(string reference, CancellationToken cancellation)
    {
        ArgumentException.ThrowIfNullOrEmpty(reference);
        await RunAsync("images rm", ["--sync", reference], cancellation).ConfigureAwait(false);
    }

    private async Task<ProcessResult> RunAsync(
        string verb,
        IReadOnlyList<string> arguments,
        CancellationToken cancellation,
        Func<Stream, CancellationToken, Task>? readStdout = null,
        Action<string>? onLine = null,
        bool throwOnFailure = true)
    {
        var allArguments = GlobalArguments(verb, arguments);
        var started = Stopwatch.GetTimestamp();
        ProcessResult result;
        try
        {
            result = await ProcessRunner.RunAsync(_options.CtrPath, allArguments, _options.Timeout, cancellation, readStdout, onLine).ConfigureAwait(false);
        }
        catch (FileNotFoundException missing)
        {
            throw new FileNotFoundException($"ctr not found at '{_options.CtrPath}': install containerd (apt-get install containerd)", _options.CtrPath, missing);
        }
        catch (TimeoutException timeout)
        {
            _log.Failed(verb, ElapsedMs(started), timeout.Message);
            throw;
        }

        _log.Finished(verb, result.ExitCode, ElapsedMs(started), string.Join(' ', allArguments));
        if (result.ExitCode != 0 && throwOnFailure)
        {
            var failure = CtrException.Failed(verb, result.ExitCode, result.Stderr, allArguments);
            _log.Failed(verb, ElapsedMs(started), failure.Message);
            throw failure;
        }

        return result;
    }

    private List<string> GlobalArguments(string verb, IReadOnlyList<string> arguments) =>
    [
        "--address", _options.Address,
        "--namespace", _options.Namespace,
        "--connect-timeout", $"{Math.Max(1, (long)_options.ConnectTimeout.TotalMilliseconds)}ms",
        .. verb.Split(' '),
        .. arguments,
    ];

    private static IEnumerable<string> Lines(string text) =>
        text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    private static long ElapsedMs(long started) => (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
}
