using System.Diagnostics;
using LayerLock.LoadDriver.Cli;
using LayerLock.LoadDriver.Systems;

namespace LayerLock.LoadDriver.Workloads;

/// <summary>
/// A lock holder in a child process of this driver (<c>LayerLock.LoadDriver hold …</c>), so that it
/// can die as a real process does: <see cref="Kill"/> sends SIGKILL, and the kernel closes its sockets.
/// </summary>
public sealed class HolderProcess : IDisposable
{
    /// <summary>
    /// What .NET reports as the exit code of a child ended by a signal on Unix: 128 + the signal
    /// number (the runtime's waitpid wrapper maps <c>WIFSIGNALED</c> to <c>128 + WTERMSIG</c>).
    /// </summary>
    public const int KilledBySigkill = 128 + 9;

    private readonly Process _process;

    private HolderProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <c>hold</c> for <paramref name="key"/> with the run's adapter options; returns once it printed that it holds the lock.</summary>
    /// <exception cref="LockSystemException">The holder exited or stayed silent instead (its stderr is the driver's).</exception>
    public static async Task<HolderProcess> StartAsync(
        string system, LockSystemOptions options, string key, string node, TimeSpan timeout, CancellationToken cancellation)
    {
        var start = Self();
        foreach (var argument in HoldCommand.Arguments(system, options, key, node))
        {
            start.ArgumentList.Add(argument);
        }

        // stdin stays open for the holder's whole life: if this driver dies, the holder reads EOF and lets go.
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.UseShellExecute = false;
        var process = Process.Start(start) ?? throw new LockSystemException($"could not start {start.FileName}");
        var holder = new HolderProcess(process);
        try
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            wait.CancelAfter(timeout);
            while (await process.StandardOutput.ReadLineAsync(wait.Token).ConfigureAwait(false) is { } line)
            {
                if (line == HoldCommand.HeldPrefix + key)
                {
                    return holder;
                }
            }

            await process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            throw new LockSystemException($"holder of {key} exited with code {process.ExitCode} before it held the lock");
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            holder.Dispose();
            throw new LockSystemException($"holder of {key} did not hold the lock within {timeout.TotalSeconds:0} s");
        }
        catch
        {
            holder.Dispose();
            throw;
        }
    }

    /// <summary>SIGKILL (<see cref="Process.Kill()"/> is <c>kill(pid, SIGKILL)</c> on Unix). Returns as soon as the signal is sent.</summary>
    public void Kill() => _process.Kill();

    /// <summary>Waits for the process to be gone and tells whether SIGKILL ended it.</summary>
    /// <returns>Whether it died of SIGKILL (false: it exited otherwise or did not die in time), and the <see cref="Stopwatch"/> timestamp at which its exit was seen.</returns>
    public async Task<(bool Sigkill, long ExitedAt)> WaitDeadAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return (false, 0);
        }

        var exitedAt = Stopwatch.GetTimestamp();
        return (_process.ExitCode == KilledBySigkill, exitedAt);
    }

    /// <summary>Kills the holder if it still runs (SIGKILL) and waits briefly for it.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(TimeSpan.FromSeconds(5));
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    // The driver again: through the dotnet host when it runs as `dotnet LayerLock.LoadDriver.dll`,
    // else its own apphost.
    private static ProcessStartInfo Self()
    {
        var host = Environment.ProcessPath ?? throw new LockSystemException("the driver's own executable is unknown");
        if (Path.GetFileNameWithoutExtension(host) != "dotnet")
        {
            return new ProcessStartInfo(host);
        }

        var start = new ProcessStartInfo(host);
        start.ArgumentList.Add(typeof(HolderProcess).Assembly.Location);
        return start;
    }
}
