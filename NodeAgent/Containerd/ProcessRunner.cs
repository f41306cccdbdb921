using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace LayerLock.NodeAgent.Containerd;

/// <summary>
/// Runs a child process without a shell: arguments go through <see cref="ProcessStartInfo.ArgumentList"/>,
/// standard output is read as lines or handed over as a raw stream, standard error is captured.
/// On timeout or cancellation the whole process tree is killed (SIGKILL) before the call returns.
/// </summary>
internal static class ProcessRunner
{
    /// <summary>The most standard error kept; beyond it only the tail is kept.</summary>
    public const int StderrLimit = 64 * 1024;

    private const string TruncatedMarker = "[stderr truncated]\n";

    /// <summary>Runs <paramref name="fileName"/> to completion and returns its exit code and output.</summary>
    /// <param name="timeout">How long the process may run, <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</param>
    /// <param name="readStdout">
    /// Reads standard output as a raw stream (binary output such as <c>ctr content get</c>); whatever it
    /// leaves unread is drained. When null, standard output is read as lines.
    /// </param>
    /// <param name="onStdoutLine">Called with each line of standard output as it arrives (line mode only).</param>
    /// <exception cref="FileNotFoundException"><paramref name="fileName"/> does not exist or cannot be executed.</exception>
    /// <exception cref="TimeoutException">The process ran longer than <paramref name="timeout"/>; it was killed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired; the process was killed.</exception>
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IReadOnlyList<string> arguments,
        TimeSpan timeout,
        CancellationToken cancellation,
        Func<Stream, CancellationToken, Task>? readStdout = null,
        Action<string>? onStdoutLine = null)
    {
        cancellation.ThrowIfCancellationRequested();
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception error)
        {
            throw new FileNotFoundException($"cannot run '{fileName}': {error.Message}", fileName, error);
        }

        // The child gets an empty standard input instead of ours.
        process.StandardInput.Close();

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        var stdout = new StringBuilder();
        var stderrTask = ReadStderrAsync(process.StandardError, deadline.Token);
        var stdoutTask = readStdout is null
            ? ReadLinesAsync(process.StandardOutput, stdout, onStdoutLine, deadline.Token)
            : ReadStreamAsync(process.StandardOutput.BaseStream, readStdout, deadline.Token);
        try
        {
            await Task.WhenAll(stdoutTask, stderrTask).ConfigureAwait(false);
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            await KillAsync(process).ConfigureAwait(false);
            cancellation.ThrowIfCancellationRequested();
            throw new TimeoutException($"'{Describe(fileName, arguments)}' did not finish within {timeout.TotalMilliseconds:0} ms and was killed");
        }
        catch
        {
            // The stdout reader failed (e.g. the destination stream threw): the child must not outlive the call.
            await KillAsync(process).ConfigureAwait(false);
            throw;
        }

        return new ProcessResult(process.ExitCode, stdout.ToString(), await stderrTask.ConfigureAwait(false));
    }

    /// <summary>The command as one line, for messages.</summary>
    public static string Describe(string fileName, IReadOnlyList<string> arguments) =>
        arguments.Count == 0 ? fileName : $"{fileName} {string.Join(' ', arguments)}";

    private static async Task KillAsync(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }

        // SIGKILL cannot be ignored; the wait only reaps the child.
        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private static async Task ReadLinesAsync(StreamReader reader, StringBuilder collected, Action<string>? onLine, CancellationToken cancellation)
    {
        while (await reader.ReadLineAsync(cancellation).ConfigureAwait(false) is { } line)
        {
            if (collected.Length > 0)
            {
                collected.Append('\n');
            }

            collected.Append(line);
            onLine?.Invoke(line);
        }
    }

    private static async Task ReadStreamAsync(Stream stdout, Func<Stream, CancellationToken, Task> readStdout, CancellationToken cancellation)
    {
        await readStdout(stdout, cancellation).ConfigureAwait(false);

        // Whatever the reader left must still be drained, or a child blocked on a full pipe never exits.
        await stdout.CopyToAsync(Stream.Null, cancellation).ConfigureAwait(false);
    }

    private static async Task<string> ReadStderrAsync(StreamReader reader, CancellationToken cancellation)
    {
        var tailKept = StderrLimit - TruncatedMarker.Length;
        var captured = new StringBuilder();
        var truncated = false;
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer, cancellation).ConfigureAwait(false)) > 0)
        {
            captured.Append(buffer, 0, read);
            truncated |= captured.Length > StderrLimit;
            if (truncated && captured.Length > tailKept)
            {
                // Keep the tail: a failing command's reason is usually its last line.
                captured.Remove(0, captured.Length - tailKept);
            }
        }

        return truncated ? TruncatedMarker + captured : captured.ToString();
    }
}
