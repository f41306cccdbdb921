using System.Text.RegularExpressions;

namespace LayerLock.NodeAgent.Mirror;

/// <summary>An image reference (<c>host/repo:tag</c> or <c>@sha256:…</c>), normalized as containerd does.</summary>
public sealed partial record ImageReference(string Host, string Repository, string Reference)
{
    /// <summary>The registry host that serves Docker Hub's API.</summary>
    public const string DockerHubApi = "registry-1.docker.io";

    /// <summary>The full reference, e.g. <c>127.0.0.1:5000/layerlock/busybox:latest</c>.</summary>
    public override string ToString() =>
        Reference.StartsWith("sha256:", StringComparison.Ordinal) ? $"{Host}/{Repository}@{Reference}" : $"{Host}/{Repository}:{Reference}";

    /// <summary>The host the mirror must call for <paramref name="host"/> (Docker Hub's API lives elsewhere).</summary>
    public static string ApiHost(string host) => host == "docker.io" ? DockerHubApi : host;

    /// <exception cref="FormatException">Says what is wrong with the reference.</exception>
    public static ImageReference Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > 512 || text.Any(char.IsWhiteSpace))
        {
            throw new FormatException($"'{text}' is not an image reference (e.g. 127.0.0.1:5000/team/app:1.0)");
        }

        var rest = text;
        string reference = "latest";
        var at = rest.IndexOf('@');
        if (at >= 0)
        {
            reference = rest[(at + 1)..];
            rest = rest[..at];
            if (!DigestPattern().IsMatch(reference))
            {
                throw new FormatException($"'{text}': the digest must be sha256: and 64 hex digits");
            }
        }
        else
        {
            var slash = rest.LastIndexOf('/');
            var colon = rest.LastIndexOf(':');
            if (colon > slash)
            {
                reference = rest[(colon + 1)..];
                rest = rest[..colon];
            }
        }

        var first = rest.Split('/')[0];
        var hasHost = rest.Contains('/') && (first.Contains('.') || first.Contains(':') || first == "localhost");
        var host = hasHost ? first : "docker.io";
        var repository = hasHost ? rest[(first.Length + 1)..] : rest;
        if (host == "docker.io" && !repository.Contains('/'))
        {
            repository = "library/" + repository;
        }

        if (!RepositoryPattern().IsMatch(repository) || (at < 0 && !TagPattern().IsMatch(reference)))
        {
            throw new FormatException($"'{text}' is not an image reference: repository names are lowercase, tags are [A-Za-z0-9_.-]");
        }

        return new ImageReference(host, repository, reference);
    }

    [GeneratedRegex("^sha256:[a-f0-9]{64}$")]
    private static partial Regex DigestPattern();

    [GeneratedRegex("^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$")]
    private static partial Regex RepositoryPattern();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagPattern();
}
