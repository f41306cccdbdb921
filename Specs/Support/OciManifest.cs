namespace LayerLock.Specs.Support;

/// <summary>A manifest in an <see cref="OciArchive"/>: its digest and its layer digests, in order.</summary>
internal sealed record OciManifest(string Digest, IReadOnlyList<string> Layers);
