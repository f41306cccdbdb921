using LayerLock.Hosting;

namespace LayerLock.Specs.Support;

/// <summary>Default folders for specs that build settings in process, and the repository's root.</summary>
internal static class SpecDirectories
{
    /// <summary>
    /// Below <c>/dev/null</c>, where nobody, root included, can create a folder: a spec that forgot to
    /// name its own folder fails at once instead of writing into <c>/var/lib</c>, <c>/var/log</c> or a home.
    /// </summary>
    public static readonly DefaultDirectories Defaults = new("/dev/null/layerlock-spec-state", "/dev/null/layerlock-spec-logs");

    /// <summary>The checkout the specs were built from: the first folder above the test binaries that holds <c>run-scenarios.sh</c>.</summary>
    /// <exception cref="InvalidOperationException">None does (the binaries were copied elsewhere).</exception>
    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "run-scenarios.sh")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"run-scenarios.sh not found above {AppContext.BaseDirectory}");
    }
}
