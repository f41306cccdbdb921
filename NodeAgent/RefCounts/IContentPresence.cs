namespace LayerLock.NodeAgent.RefCounts;

/// <summary>What the node's containerd really holds; <see cref="Containerd.CtrRunner"/> in production.</summary>
public interface IContentPresence
{
    /// <summary>True if the content store holds the blob <paramref name="digest"/> (<c>sha256:…</c>).</summary>
    Task<bool> HasBlobAsync(string digest, CancellationToken c);

    /// <summary>The digests of every blob in the content store.</summary>
    Task<IReadOnlySet<string>> ListBlobDigestsAsync(CancellationToken c);
}
