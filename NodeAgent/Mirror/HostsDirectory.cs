using LayerLock.Hosting.Storage;

namespace LayerLock.NodeAgent.Mirror;

/// <summary>
/// The containerd <c>--hosts-dir</c> that sends every registry request of a pull through this
/// agent's mirror. Written so containerd cannot go around it (DESIGN.md, verified on 1.6.20): the
/// <c>server</c> is the mirror itself (a real registry there would be retried directly, bypassing
/// the lock), and a <c>[host]</c> table is present (without one the file fails to decode and
/// containerd silently goes straight to the registry).
/// </summary>
public sealed class HostsDirectory(string directory, Uri mirror)
{
    public string Path { get; } = System.IO.Path.GetFullPath(directory);

    /// <summary>Writes <c>&lt;dir&gt;/&lt;host&gt;/hosts.toml</c> for <paramref name="host"/> (atomically); returns the directory.</summary>
    public string WriteFor(string host)
    {
        var endpoint = $"{mirror.GetLeftPart(UriPartial.Authority)}/r/{host}";
        var toml = $"""
            # Written by the LayerLock agent: every request for {host} goes through the agent's mirror.
            server = "{endpoint}"

            [host."{endpoint}"]
              capabilities = ["pull", "resolve"]

            """;
        DurableFile.WriteAllText(System.IO.Path.Combine(Path, host, "hosts.toml"), toml);
        return Path;
    }
}
