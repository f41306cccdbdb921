namespace LayerLock.Hosting;

/// <summary>
/// A folder the process must write to cannot be created or written; its message is the one line
/// shown to the user. Both programs then exit with <see cref="ExitCode"/>.
/// </summary>
public sealed class DirectoryNotWritableException(string message, Exception inner) : Exception(message, inner)
{
    /// <summary>73, EX_CANTCREAT in sysexits.h: an output file cannot be created.</summary>
    public const int ExitCode = 73;
}
