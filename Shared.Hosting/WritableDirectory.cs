namespace LayerLock.Hosting;

/// <summary>Makes sure, at start, that a folder the process will write to exists and takes a new file.</summary>
public static class WritableDirectory
{
    /// <summary>
    /// Creates <paramref name="path"/> if need be, then creates and deletes a file in it. Serilog
    /// would otherwise drop every event silently when its folder cannot be written.
    /// </summary>
    /// <param name="path">The folder.</param>
    /// <param name="purpose">What it is for, e.g. "log folder".</param>
    /// <param name="flag">The flag that chooses another, e.g. "--log-dir".</param>
    /// <exception cref="DirectoryNotWritableException">With the one line: the folder, why, and what to do,
    /// e.g. <c>cannot write the log folder /var/log/layerlock: permission denied; run as root, or pass --log-dir DIR</c>.</exception>
    public static void Ensure(string path, string purpose, string flag)
    {
        try
        {
            Directory.CreateDirectory(path);
            var probe = Path.Combine(path, $".layerlock-probe-{Environment.ProcessId}");
            using (new FileStream(probe, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            var what = error is UnauthorizedAccessException
                ? $"permission denied; run as root, or pass {flag} DIR"
                : $"{Reason(path, error)}; pass {flag} DIR";
            throw new DirectoryNotWritableException($"cannot write the {purpose} {path}: {what}", error);
        }
    }

    // .NET's own messages name no cause for the common case of a file standing where a folder should be.
    private static string Reason(string path, Exception error)
    {
        for (var ancestor = Path.GetFullPath(path); ancestor is not null; ancestor = Path.GetDirectoryName(ancestor))
        {
            if (File.Exists(ancestor))
            {
                return $"{ancestor} is a file, not a folder";
            }
        }

        return error.Message.TrimEnd('.');
    }
}
