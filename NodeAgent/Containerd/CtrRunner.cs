using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Text;
using CliWrap;
using LayerLock.NodeAgent.RefCounts;

namespace LayerLock.NodeAgent.Containerd;

/// <summary>
/// Runs <c>ctr</c> through CliWrap against one containerd socket and namespace: every call is
/// <c>ctr --address ADDR --namespace NS --connect-timeout T VERB …</c>, without a shell, with an empty
/// standard input. A call still running after <see cref="CtrOptions.Timeout"/>, or whose token is
/// cancelled, is stopped: SIGINT to ctr first, then SIGKILL to ctr and everything it started if it still
/// runs <see cref="StopGrace"/> later. A call returns or throws only once ctr has exited. A non-zero exit
/// raises <see cref="CtrException"/> carrying ctr's exit code and standard error.
/// </summary>
public sealed partial class CtrRunner : IContentPresence
{
    /// <summary>
    /// How long a stopped ctr has between SIGINT and SIGKILL: 2 s. ctr sets no SIGINT handler, so it
    /// normally dies of the SIGINT at once and the grace matters only for a stuck one. A ctr started by an
    /// agent that itself ignores SIGINT (run as a background job of a non-interactive shell) inherits that,
    /// and each of its stops then takes the whole grace.
    /// </summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(2);

    /// <summary>The most standard error kept per call, in characters (64 Ki); past it only the tail is kept.</summary>
    internal const int StderrLimit = 64 * 1024;

    private readonly CtrOptions _options;
    private readonly CtrLog _log;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyList<string>> _layersByTarget = new(StringComparer.Ordinal);

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
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired; ctr was stopped.</exception>
    /// <exception cref="CtrException">"cannot reach containerd at SOCKET: is it running? (…)".</exception>
    public async Task CheckAsync(CancellationToken cancellation)
    {
        CtrOutput result;
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
    /// <param name="onLine">Called with each progress line ctr prints; if it throws, ctr is killed and the exception rethrown.</param>
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
    /// Waits until the content store holds <paramref name="digest"/> — a blob whose transfer just
    /// ended may still be committing — checking every 100 ms for at most <paramref name="patience"/>.
    /// </summary>
    /// <returns>False if it did not appear in time.</returns>
    public async Task<bool> WaitForBlobAsync(string digest, TimeSpan patience, CancellationToken cancellation)
    {
        var waited = Stopwatch.StartNew();
        while (!await HasBlobAsync(digest, cancellation).ConfigureAwait(false))
        {
            if (waited.Elapsed > patience)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellation).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>
    /// Streams the blob <paramref name="digest"/> into <paramref name="destination"/> (<c>ctr content get</c>),
    /// byte for byte as ctr writes it, without flushing <paramref name="destination"/>.
    /// If it fails, <paramref name="destination"/> may hold part of the blob.
    /// </summary>
    /// <exception cref="CtrException">ctr failed, e.g. the blob is not in the content store.</exception>
    /// <remarks>
    /// If writing to <paramref name="destination"/> throws, ctr is killed and that exception is rethrown
    /// once ctr has exited.
    /// </remarks>
    public async Task CopyBlobAsync(string digest, Stream destination, CancellationToken cancellation)
    {
        ArgumentException.ThrowIfNullOrEmpty(digest);
        ArgumentNullException.ThrowIfNull(destination);
        await RunAsync("content get", [digest], cancellation, stdoutDestination: destination).ConfigureAwait(false);
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

    private async Task<CtrOutput> RunAsync(
        string verb,
        IReadOnlyList<string> arguments,
        CancellationToken cancellation,
        Stream? stdoutDestination = null,
        Action<string>? onLine = null,
        bool throwOnFailure = true)
    {
        cancellation.ThrowIfCancellationRequested();
        var allArguments = GlobalArguments(verb, arguments);
        var stdout = new StringBuilder();
        var stderr = new StderrTail(StderrLimit);
        ExceptionDispatchInfo? stdoutFailure = null;

        // graceful (SIGINT) fires on the caller's cancellation or at the timeout; forceful (SIGKILL to the
        // process tree) follows StopGrace later, or at once when standard output cannot be consumed.
        using var graceful = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using var forceful = new CancellationTokenSource();
        using var escalation = graceful.Token.Register(() => forceful.CancelAfter(StopGrace));

        var stdoutConsumer = stdoutDestination is not null
            ? PipeTarget.ToStream(stdoutDestination, autoFlush: false)
            : onLine is null
                ? PipeTarget.ToStringBuilder(stdout, Encoding.UTF8)
                : PipeTarget.Merge(PipeTarget.ToStringBuilder(stdout, Encoding.UTF8), PipeTarget.ToDelegate(onLine, Encoding.UTF8));
        var stdoutTarget = PipeTarget.Create(async (origin, token) =>
        {
            try
            {
                await stdoutConsumer.CopyFromAsync(origin, token).ConfigureAwait(false);
            }
            catch (Exception failure) when (!forceful.IsCancellationRequested)
            {
                // The destination refused the bytes (client gone, size limit) or onLine threw: ctr must not
                // outlive the call, and it would block on a full pipe that nobody reads.
                stdoutFailure = ExceptionDispatchInfo.Capture(failure);
                await forceful.CancelAsync().ConfigureAwait(false);
                throw;
            }
        });
        var command = CliWrap.Cli.Wrap(_options.CtrPath)
            .WithArguments(allArguments)
            .WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(stdoutTarget)
            .WithStandardErrorPipe(stderr.Target);

        var started = Stopwatch.GetTimestamp();
        CommandResult result;
        try
        {
            graceful.CancelAfter(_options.Timeout);
            var execution = command.ExecuteAsync(forceful.Token, graceful.Token);
            _log.Started(verb, execution.ProcessId);
            result = await execution.ConfigureAwait(false);
        }
        catch (Win32Exception missing)
        {
            throw new FileNotFoundException($"ctr not found at '{_options.CtrPath}': install containerd (apt-get install containerd)", _options.CtrPath, missing);
        }
        catch (Exception) when (stdoutFailure is not null)
        {
            _log.Failed(verb, ElapsedMs(started), $"its output could not be consumed, ctr was killed: {stdoutFailure.SourceException.Message}");
            stdoutFailure.Throw();
            throw; // Not reached: Throw() rethrows the consumer's exception with its own stack.
        }
        catch (OperationCanceledException stopped) when (cancellation.IsCancellationRequested)
        {
            _log.Failed(verb, ElapsedMs(started), "cancelled, ctr was stopped");
            throw new OperationCanceledException($"ctr {verb} was cancelled and stopped", stopped, cancellation);
        }
        catch (OperationCanceledException stopped) when (graceful.IsCancellationRequested)
        {
            var timeout = new TimeoutException(
                $"ctr {verb} did not finish within {_options.Timeout.TotalMilliseconds:0} ms and was stopped: ctr {string.Join(' ', allArguments)}",
                stopped);
            _log.Failed(verb, ElapsedMs(started), timeout.Message);
            throw timeout;
        }

        var output = new CtrOutput(result.ExitCode, stdout.ToString(), stderr.ToString());
        _log.Finished(verb, output.ExitCode, ElapsedMs(started), string.Join(' ', allArguments));
        if (output.ExitCode != 0 && throwOnFailure)
        {
            var failure = CtrException.Failed(verb, output.ExitCode, output.Stderr, allArguments);
            _log.Failed(verb, ElapsedMs(started), failure.Message);
            throw failure;
        }

        return output;
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

    /// <summary>How one ctr call ended.</summary>
    /// <param name="Stdout">Standard output as text; empty when it went to a destination stream.</param>
    /// <param name="Stderr">Standard error, at most <see cref="StderrLimit"/> characters (the tail).</param>
    private sealed record CtrOutput(int ExitCode, string Stdout, string Stderr);
}
