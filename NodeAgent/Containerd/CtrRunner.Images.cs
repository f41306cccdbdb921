using System.Runtime.InteropServices;
using System.Text.Json;

namespace LayerLock.NodeAgent.Containerd;

/// <summary>Reading an image's manifest out of the content store.</summary>
public sealed partial class CtrRunner
{
    // A manifest or index is a few KiB; anything far larger is not one.
    private const int ManifestLimit = 4 * 1024 * 1024;
    private const int IndexDepthLimit = 4;

    /// <summary>The platform containerd pulls for on this machine, e.g. "linux/amd64".</summary>
    public static string HostPlatform { get; } = $"linux/{HostArchitecture()}";

    /// <summary>
    /// The layer digests (<c>layers[].digest</c>, in order) of the local image <paramref name="reference"/>.
    /// When the image's target is an OCI index or a Docker manifest list, the manifest for
    /// <see cref="HostPlatform"/> is used, or the only manifest when there is just one.
    /// </summary>
    /// <exception cref="InvalidOperationException">The image is not in this namespace.</exception>
    /// <exception cref="InvalidDataException">The target is not a manifest or index, or has no manifest for this platform.</exception>
    public async Task<IReadOnlyList<string>> ImageLayersAsync(string reference, CancellationToken cancellation)
    {
        ArgumentException.ThrowIfNullOrEmpty(reference);
        var listing = await RunAsync("images ls", [], cancellation).ConfigureAwait(false);

        // Columns: REF TYPE DIGEST SIZE PLATFORMS LABELS; a reference holds no whitespace.
        var target = Lines(listing.Stdout)
            .Skip(1)
            .Select(line => line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            .FirstOrDefault(columns => columns.Length >= 3 && columns[0] == reference)?[2]
            ?? throw new InvalidOperationException($"image {reference} is not in containerd namespace '{_options.Namespace}' at {_options.Address}");

        var digest = target;
        for (var depth = 0; depth < IndexDepthLimit; depth++)
        {
            using var document = await ReadJsonBlobAsync(digest, reference, cancellation).ConfigureAwait(false);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"blob {digest} of image {reference} is not a JSON object");
            }

            if (root.TryGetProperty("layers", out var layers) && layers.ValueKind == JsonValueKind.Array)
            {
                return [.. layers.EnumerateArray().Select(layer => DigestOf(layer, digest, reference))];
            }

            if (root.TryGetProperty("manifests", out var manifests) && manifests.ValueKind == JsonValueKind.Array)
            {
                digest = PickManifest(manifests, digest, reference);
                continue;
            }

            var mediaType = root.TryGetProperty("mediaType", out var type) ? type.ToString() : "none";
            throw new InvalidDataException($"blob {digest} of image {reference} is neither an image manifest nor an index (mediaType {mediaType})");
        }

        throw new InvalidDataException($"image {reference}: indexes nest deeper than {IndexDepthLimit} levels");
    }

    private async Task<JsonDocument> ReadJsonBlobAsync(string digest, string reference, CancellationToken cancellation)
    {
        using var blob = new MemoryStream();
        await CopyBlobAsync(digest, new LimitedStream(blob, ManifestLimit, digest), cancellation).ConfigureAwait(false);
        try
        {
            return JsonDocument.Parse(blob.ToArray());
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"blob {digest} of image {reference} is not JSON: {error.Message}", error);
        }
    }

    private static string PickManifest(JsonElement manifests, string indexDigest, string reference)
    {
        var entries = manifests.EnumerateArray().ToList();
        foreach (var entry in entries)
        {
            if (PlatformOf(entry) == HostPlatform)
            {
                return DigestOf(entry, indexDigest, reference);
            }
        }

        if (entries.Count == 1)
        {
            return DigestOf(entries[0], indexDigest, reference);
        }

        var offered = string.Join(", ", entries.Select(PlatformOf));
        throw new InvalidDataException($"image {reference} has no {HostPlatform} manifest in index {indexDigest} (it offers: {(offered.Length == 0 ? "nothing" : offered)})");
    }

    private static string PlatformOf(JsonElement descriptor) =>
        descriptor.ValueKind == JsonValueKind.Object
        && descriptor.TryGetProperty("platform", out var platform)
        && platform.ValueKind == JsonValueKind.Object
        && platform.TryGetProperty("os", out var os)
        && platform.TryGetProperty("architecture", out var architecture)
            ? $"{os}/{architecture}"
            : "unknown";

    private static string DigestOf(JsonElement descriptor, string blobDigest, string reference) =>
        descriptor.ValueKind == JsonValueKind.Object
        && descriptor.TryGetProperty("digest", out var digest)
        && digest.ValueKind == JsonValueKind.String
        && digest.GetString() is { Length: > 0 } value
            ? value
            : throw new InvalidDataException($"blob {blobDigest} of image {reference} has a descriptor without a digest");

    private static string HostArchitecture() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.Arm => "arm",
        Architecture.X86 => "386",
        var other => other.ToString().ToLowerInvariant(),
    };
}
