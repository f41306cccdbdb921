namespace LayerLock.Hosting;

/// <summary>
/// Where a LayerLock process writes when no setting names a directory (<c>state-dir</c>,
/// <c>layerlock.log.dir</c>, or <c>--state-dir</c> / <c>--log-dir</c>, which always win).
/// As root: state under <c>/var/lib/layerlock</c>, logs in <c>/var/log/layerlock</c>. Otherwise,
/// per user as the XDG base directory spec has it: state under <c>$XDG_STATE_HOME/layerlock</c>
/// (default <c>~/.local/state/layerlock</c>), logs in its <c>logs</c> folder (XDG puts logs with state).
/// </summary>
/// <param name="StateRoot">The folder that holds each process's state folder.</param>
/// <param name="Logs">The log folder shared by every process (each writes its own file names).</param>
public sealed record DefaultDirectories(string StateRoot, string Logs)
{
    public const string SystemStateRoot = "/var/lib/layerlock";
    public const string SystemLogs = "/var/log/layerlock";

    /// <summary>The Coordinator's state folder: <c>StateRoot/coordinator</c>.</summary>
    public string Coordinator => Path.Combine(StateRoot, "coordinator");

    /// <summary>An agent's state folder, one per node: <c>StateRoot/agent-NODE</c>.</summary>
    public string Agent(string node) => Path.Combine(StateRoot, $"agent-{FileNamePart(node)}");

    /// <summary>The defaults for this process: by its effective user id, its environment and its home.</summary>
    /// <exception cref="InvalidOperationException">Not root, and neither <c>XDG_STATE_HOME</c> nor a home folder is known.</exception>
    public static DefaultDirectories ForCurrentProcess() =>
        For(
            Environment.IsPrivilegedProcess,
            Environment.GetEnvironmentVariable("XDG_STATE_HOME"),
            Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    /// <summary>
    /// The defaults for a root (effective uid 0) or other user. A relative or empty
    /// <paramref name="xdgStateHome"/> is ignored, as the XDG spec says; then
    /// <c><paramref name="home"/>/.local/state</c> is used.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not root, and neither an absolute <paramref name="xdgStateHome"/> nor an absolute <paramref name="home"/>.</exception>
    public static DefaultDirectories For(bool isRoot, string? xdgStateHome, string? home)
    {
        if (isRoot)
        {
            return new DefaultDirectories(SystemStateRoot, SystemLogs);
        }

        var stateHome = Path.IsPathFullyQualified(xdgStateHome ?? string.Empty)
            ? xdgStateHome!
            : Path.IsPathFullyQualified(home ?? string.Empty)
                ? Path.Combine(home!, ".local", "state")
                : throw new InvalidOperationException(
                    "no default folder for state and logs: neither XDG_STATE_HOME nor HOME is set; set one, or pass --state-dir DIR and --log-dir DIR");
        var root = Path.Combine(stateHome, "layerlock");
        return new DefaultDirectories(root, Path.Combine(root, "logs"));
    }

    /// <summary>
    /// <paramref name="name"/> made safe as part of a file name: a character a file name cannot hold
    /// ('/' and NUL on Linux) becomes '_'. Node names are otherwise kept as they are.
    /// </summary>
    public static string FileNamePart(string name)
    {
        var invalid = Path.GetInvalidFileNameChars();
        return string.Create(name.Length, name, (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = Array.IndexOf(invalid, source[i]) >= 0 ? '_' : source[i];
            }
        });
    }
}
