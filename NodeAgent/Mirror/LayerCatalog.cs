using System.Collections.Concurrent;
using System.Text.Json;

namespace LayerLock.NodeAgent.Mirror;

/// <summary>
/// What the mirror learned from the manifests it passed through: which blob digests are layers
/// (locked and counted) and which images list them. Config blobs and manifests pass straight through.
/// </summary>
public sealed class LayerCatalog
{
    private readonly ConcurrentDictionary<string, byte> _layers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IReadOnlyList<string>> _byRepository = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _sizes = new(StringComparer.Ordinal);

    public bool IsLayer(string digest) => _layers.ContainsKey(digest);

    /// <summary>The layer's size in bytes as its manifest gives it (<c>layers[].size</c>); null when not known.</summary>
    public long? SizeOf(string digest) => _sizes.TryGetValue(digest, out var size) ? size : null;

    /// <summary>The layers of the image manifests last seen for <paramref name="repository"/> (host/repo).</summary>
    public IReadOnlyList<string> LayersOf(string repository) => _byRepository.GetValueOrDefault(repository) ?? [];

    /// <summary>
    /// Reads an image manifest (OCI or Docker v2) and records its layers; an index or manifest list
    /// records nothing (its child manifests come through the mirror next).
    /// </summary>
    /// <returns>The layer digests, empty for an index or anything unreadable.</returns>
    public IReadOnlyList<string> Record(string repository, ReadOnlySpan<byte> manifest)
    {
        List<string> layers = [];
        try
        {
            using var document = JsonDocument.Parse(manifest.ToArray());
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("layers", out var list)
                && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var layer in list.EnumerateArray())
                {
                    if (layer.TryGetProperty("digest", out var digest) && digest.GetString() is { } value)
                    {
                        layers.Add(value);
                        if (layer.TryGetProperty("size", out var size) && size.ValueKind == JsonValueKind.Number && size.TryGetInt64(out var bytes) && bytes >= 0)
                        {
                            _sizes[value] = bytes;
                        }
                    }
                }
            }
        }
        catch (JsonException)
        {
            return [];
        }

        foreach (var layer in layers)
        {
            _layers.TryAdd(layer, 0);
        }

        if (layers.Count > 0)
        {
            _byRepository[repository] = layers;
        }

        return layers;
    }
}
