namespace LayerLock.NodeAgent.RefCounts;

/// <summary>What a skip policy decides on: may the download of <paramref name="Layer"/> be skipped?</summary>
/// <param name="Layer">The layer digest.</param>
/// <param name="RefCount">This node's reference count of the layer (0 when it has none).</param>
/// <param name="Present">Whether containerd's content store holds the blob right now.</param>
public sealed record SkipInputs(string Layer, int RefCount, bool Present);
