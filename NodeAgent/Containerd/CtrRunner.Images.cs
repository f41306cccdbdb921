using System.Runtime.InteropServices;
using System.Text.Json;
using LayerLock.NodeAgent.RefCounts;

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
        var target = (await ListImageTargetsAsync(cancellation).ConfigureAwait(false)).GetValueOrDefault(reference)
            ?? throw new InvalidOperationException($"image {reference} is not in containerd namespace '{_options.Namespace}' at {_options.Address}");
        return await LayersOfTargetAsync(target, reference, cancellation).ConfigureAwait(false);
    }

    /// <summary>
    /// For every layer referenced by an image of this namespace, the number of images (references,
    /// one <c>ctr images ls</c> line each) whose manifest for <see cref="HostPlatform"/> lists it.
    /// Manifests are read once per target digest and remembered (content by digest never changes).
    /// An image whose manifest cannot be read (content gone, not a manifest, no manifest for this
    /// platform) counts for nothing and is named in <see cref="ImageReferences.Unreadable"/>.
    /// </summary>
    /// <exception cref="CtrException">containerd could not be asked.</exception>
    public async Task<ImageReferences> CountImageReferencesAsync(CancellationToken cancellation)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var unreadable = new List<string>();
        var targets = await ListImageTargetsAsync(cancellation).ConfigureAwait(false);
        foreach (var (reference, target) in targets)
        {
            IReadOnlyList<string> layers;
            if (_layersByTarget.TryGetValue(target, out var known))
            {
                layers = known;
            }
            else
            {
                try
                {
                    layers = await LayersOfTargetAsync(target, reference, cancellation).ConfigureAwait(false);
                    _layersByTarget[target] = layers;
                }
                catch (Exception error) when (error is InvalidDataException or CtrException)
                {
                    unreadable.Add($"{reference}: {error.Message}");
                    continue;
                }
            }

            foreach (var layer in layers.Distinct(StringComparer.Ordinal))
            {
                counts[layer] = counts.GetValueOrDefault(layer) + 1;
            }
        }

        return new ImageReferences(counts, targets.Count, unreadable);
    }

    /// <summary>Every image of the namespace: reference → target digest (<c>ctr images ls</c>).</summary>
    private async Task<IReadOnlyDictionary<string, string>> ListImageTargetsAsync(CancellationToken cancellation)
    {
        var listing = await RunAsync("images ls", [], cancellation).ConfigureAwait(false);

        // Columns: REF TYPE DIGEST SIZE PLATFORMS LABELS; a reference holds no whitespace.
        var targets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var columns in Lines(listing.Stdout).Skip(1).Select(line => line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)))
        {
            if (columns.Length >= 3 && columns[2].StartsWith("sha256:", StringComparison.Ordinal))
            {
                targets[columns[0]] = columns[2];
            }
        }

        return targets;
    }

    private async Task<IReadOnlyList<string>> LayersOfTargetAsync(string target, string reference, CancellationToken cancellation)
    {
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
