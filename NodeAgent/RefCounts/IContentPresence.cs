namespace LayerLock.NodeAgent.RefCounts;

/// <summary>What the node's containerd really holds; <see cref="Containerd.CtrRunner"/> in production.</summary>
public interface IContentPresence
{
    /// <summary>True if the content store holds the blob <paramref name="digest"/> (<c>sha256:…</c>).</summary>
    Task<bool> HasBlobAsync(string digest, CancellationToken c);

    /// <summary>The digests of every blob in the content store.</summary>
    Task<IReadOnlySet<string>> ListBlobDigestsAsync(CancellationToken c);

    /// <summary>For every layer some image of the namespace references, how many images reference it.</summary>
    Task<ImageReferences> CountImageReferencesAsync(CancellationToken c);
}

/// <summary>Answer of <see cref="IContentPresence.CountImageReferencesAsync"/>.</summary>
/// <param name="Counts">Layer digest → number of images that reference it (only layers with at least one).</param>
/// <param name="Images">How many images the namespace holds.</param>
/// <param name="Unreadable">"reference: why" for each image whose layers could not be read; they count for nothing.</param>
public sealed record ImageReferences(IReadOnlyDictionary<string, int> Counts, int Images, IReadOnlyList<string> Unreadable);
