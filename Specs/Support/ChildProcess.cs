using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace LayerLock.Specs.Support;

/// <summary>
/// A real child process (a LayerLock program run with <c>dotnet</c>) whose standard output is read
/// line by line. Disposing kills it (SIGKILL) if it still runs; only processes started here are
/// ever killed.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _seen = [];

    private ChildProcess(Process process)
    {
        _process = process;
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Every stdout and stderr line so far (for failure messages).</summary>
    public string Transcript
    {
        get
        {
            lock (_seen)
            {
                return string.Join('\n', _seen);
            }
        }
    }

    /// <summary>Starts <paramref name="program"/> (e.g. "Coordinator") from the test's output folder.</summary>
    public static ChildProcess Start(string program, params string[] arguments) => StartIn(null, program, arguments);

    /// <summary>As <see cref="Start"/>, inside network namespace <paramref name="netns"/> (<c>ip netns exec</c> execs, so the PID is the program's).</summary>
    public static ChildProcess StartIn(string? netns, string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(netns is null ? "dotnet" : "ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        if (netns is not null)
        {
            foreach (var prefix in new[] { "netns", "exec", netns, "dotnet" })
            {
                info.ArgumentList.Add(prefix);
            }
        }

        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, $"{program}.dll"));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data, "");
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data, "stderr: ");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits for the next stdout line that starts with <paramref name="prefix"/>, skipping others.</summary>
    public Task<string> WaitForLineAsync(string prefix, TimeSpan timeout) =>
        WaitForLineAsync(line => line.StartsWith(prefix, StringComparison.Ordinal), $"starting with '{prefix}'", timeout);

    /// <summary>Waits for the next stdout line that contains <paramref name="text"/>, skipping others.</summary>
    public Task<string> WaitForLineContainingAsync(string text, TimeSpan timeout) =>
        WaitForLineAsync(line => line.Contains(text, StringComparison.Ordinal), $"containing '{text}'", timeout);

    private async Task<string> WaitForLineAsync(Func<string, bool> match, string description, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var line = await _lines.Reader.ReadAsync(cancel.Token);
                if (match(line))
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no line {description} from pid {Pid} within {timeout}; it printed:\n{Transcript}");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"pid {Pid} exited (code {_process.ExitCode}) without a line {description}; it printed:\n{Transcript}");
        }
    }

    /// <summary>True if a line starting with <paramref name="prefix"/> is already waiting to be read.</summary>
    public bool HasPendingLine(string prefix)
    {
        lock (_seen)
        {
            return _seen.Any(l => l.StartsWith(prefix, StringComparison.Ordinal));
        }
    }

    /// <summary>Closes the child's standard input (the lock verb then releases and exits).</summary>
    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>SIGKILL: the process dies at once, with no chance to clean up.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        await _process.WaitForExitAsync();
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        _process.Dispose();
    }

    private void OnLine(string? line, string prefix)
    {
        if (line is null)
        {
            if (prefix.Length == 0)
            {
                _lines.Writer.TryComplete();
            }

            return;
        }

        lock (_seen)
        {
            _seen.Add(prefix + line);
        }

        if (prefix.Length == 0)
        {
            _lines.Writer.TryWrite(line);
        }
    }
}
