using LayerLock.Hosting;

namespace LayerLock.Specs.Support;

/// <summary>Default folders for specs that build settings in process.</summary>
internal static class SpecDirectories
{
    /// <summary>
    /// Below <c>/dev/null</c>, where nobody, root included, can create a folder: a spec that forgot to
    /// name its own folder fails at once instead of writing into <c>/var/lib</c>, <c>/var/log</c> or a home.
    /// </summary>
    public static readonly DefaultDirectories Defaults = new("/dev/null/layerlock-spec-state", "/dev/null/layerlock-spec-logs");
}
