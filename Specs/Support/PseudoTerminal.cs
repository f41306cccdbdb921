using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace LayerLock.Specs.Support;

/// <summary>
/// Runs a command in a real pseudo-terminal of a given width (util-linux <c>script</c>), as a person
/// at a terminal would, and collects what it draws with the escape sequences taken out. Disposing
/// SIGKILLs <c>script</c> and its command if they still run (only what was started here).
/// </summary>
internal sealed partial class PseudoTerminal : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _raw = new();
    private readonly SemaphoreSlim _drawn = new(0);
    private readonly Task _reading;

    private PseudoTerminal(Process process)
    {
        _process = process;
        _reading = ReadAsync();
    }

    /// <summary>Everything drawn so far, without ANSI escape sequences and carriage returns.</summary>
    public string Text
    {
        get
        {
            lock (_raw)
            {
                return Escapes().Replace(_raw.ToString(), string.Empty).Replace("\r", string.Empty, StringComparison.Ordinal);
            }
        }
    }

    /// <summary>Starts <paramref name="program"/> with <paramref name="arguments"/> on a terminal <paramref name="columns"/> wide.</summary>
    public static PseudoTerminal Start(int columns, string program, params string[] arguments)
    {
        var command = string.Join(' ', new[] { program }.Concat(arguments).Select(Quote));
        var info = new ProcessStartInfo("/usr/bin/script", ["--quiet", "--flush", "--return", "--command", $"stty cols {columns} rows 40; exec {command}", "/dev/null"])
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.Environment["TERM"] = "xterm-256color";
        info.Environment["COLUMNS"] = columns.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new PseudoTerminal(Process.Start(info)!);
    }

    /// <summary>Waits (woken by each read, not polling) until the terminal shows <paramref name="text"/>.</summary>
    public async Task WaitForTextAsync(string text, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            while (!Text.Contains(text, StringComparison.Ordinal))
            {
                if (_reading.IsCompleted)
                {
                    throw new TimeoutException($"the terminal closed without '{text}'; it shows:\n{Text}");
                }

                await _drawn.WaitAsync(cancel.Token);
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no '{text}' on the terminal within {timeout}; it shows:\n{Text}");
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        await _reading.WaitAsync(timeout);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _drawn.Dispose();
    }

    private static string Quote(string word) => $"'{word.Replace("'", "'\\''", StringComparison.Ordinal)}'";

    private async Task ReadAsync()
    {
        var buffer = new char[4096];
        int read;
        while ((read = await _process.StandardOutput.ReadAsync(buffer)) > 0)
        {
            lock (_raw)
            {
                _raw.Append(buffer, 0, read);
            }

            _drawn.Release();
        }

        _drawn.Release();
    }

    [GeneratedRegex(@"\x1b(\[[0-9;?]*[ -/]*[@-~]|\][^\x07]*\x07|[()][0-9A-Za-z]|[=>78])")]
    private static partial Regex Escapes();
}
