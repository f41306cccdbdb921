namespace LayerLock.NodeAgent.RefCounts;

/// <summary>
/// Asks <see cref="RefCountActor"/> whether the download of <paramref name="Layer"/> can be skipped.
/// Replies <see cref="SkipDecision"/>, or <see cref="RefCountFailed"/> when containerd cannot be asked.
/// </summary>
public sealed record ShouldSkipOperation(string Layer);

/// <summary>The skip policy's verdict and the inputs it saw.</summary>
public sealed record SkipDecision(string Layer, int RefCount, bool Present, bool Skip);

/// <summary>
/// <see cref="ShouldSkipOperation"/> for every layer of an image at once, on one listing of
/// containerd's content store (one <c>ctr content ls</c> instead of one per layer). Replies
/// <see cref="SkipDecisions"/>, or <see cref="RefCountFailed"/> with layer "*" when containerd cannot be asked.
/// </summary>
public sealed record ShouldSkipOperations(IReadOnlyList<string> Layers);

/// <summary>One <see cref="SkipDecision"/> per layer asked, in the order asked.</summary>
public sealed record SkipDecisions(IReadOnlyList<SkipDecision> Decisions);

/// <summary>
/// Adds <paramref name="Delta"/> (may be negative) to the count of <paramref name="Layer"/>; a count
/// never goes below 0. Replies <see cref="RefCountUpdated"/> once the new count is on disk, or
/// <see cref="RefCountFailed"/> (the count is then unchanged).
/// </summary>
public sealed record UpdateRefCount(string Layer, int Delta);

/// <summary>The count of <paramref name="Layer"/> is now <paramref name="Value"/>, durably.</summary>
public sealed record RefCountUpdated(string Layer, int Value);

/// <summary>Asks for every non-zero count. Replies <see cref="RefCountSnapshot"/>.</summary>
public sealed record GetRefCounts
{
    public static readonly GetRefCounts Instance = new();
}

/// <summary>Every non-zero count, sorted by layer digest.</summary>
public sealed record RefCountSnapshot(IReadOnlyDictionary<string, int> Counts);

/// <summary>
/// Brings every count in line with containerd (issue 11, item 2): a layer's count becomes the number
/// of images on the node that reference it, or 0 when containerd no longer has its blob. Sent at
/// agent start and after every pull and rm; requests are handled in order, each on what containerd
/// holds when it is handled, so the last one leaves the counts right however pulls and rms interleave.
/// <paramref name="Why"/> ("agent start", "pull of REF", "rm of REF") goes into the log.
/// Replies <see cref="Reconciled"/>, or <see cref="RefCountFailed"/> with layer "*" (nothing changed).
/// </summary>
public sealed record Reconcile(string Why)
{
    /// <summary>The reconciliation at agent start.</summary>
    public static readonly Reconcile AtStart = new("agent start");
}

/// <summary>Reconciliation finished; <paramref name="Corrections"/> counts changed.</summary>
public sealed record Reconciled(int Corrections);

/// <summary>
/// A request about <paramref name="Layer"/> ("*" for <see cref="Reconcile"/>) failed: the state dir
/// could not be written or containerd could not be asked. Nothing changed.
/// </summary>
public sealed record RefCountFailed(string Layer, string Error);
