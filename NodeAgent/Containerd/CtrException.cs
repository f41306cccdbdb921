namespace LayerLock.NodeAgent.Containerd;

/// <summary>
/// A <c>ctr</c> call failed. The message is one line, e.g.
/// <c>ctr content get failed (exit 1): ctr: content digest sha256:…: not found</c>.
/// </summary>
public sealed class CtrException : Exception
{
    public CtrException(string message, int exitCode, string stderr, IReadOnlyList<string> arguments)
        : base(message)
    {
        ExitCode = exitCode;
        Stderr = stderr;
        Arguments = arguments;
    }

    /// <summary><c>ctr</c>'s exit code; -1 when there was none to report (it did not finish in time).</summary>
    public int ExitCode { get; }

    /// <summary>
    /// What <c>ctr</c> wrote to standard error: all of it up to 64 Ki characters, else a
    /// "[stderr truncated]" line and the tail.
    /// </summary>
    public string Stderr { get; }

    /// <summary>The arguments <c>ctr</c> was run with (global flags included).</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>"ctr VERB failed (exit N): LAST-STDERR-LINE".</summary>
    internal static CtrException Failed(string verb, int exitCode, string stderr, IReadOnlyList<string> arguments) =>
        new($"ctr {verb} failed (exit {exitCode}): {LastLine(stderr)}", exitCode, stderr, arguments);

    /// <summary>The last non-empty line of <paramref name="stderr"/>, or a note that there was none.</summary>
    internal static string LastLine(string stderr) =>
        stderr.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) is [.., var last]
            ? last
            : "(no error output)";
}
