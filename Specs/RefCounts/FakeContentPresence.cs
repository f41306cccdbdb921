using LayerLock.NodeAgent.RefCounts;

namespace LayerLock.Specs.RefCounts;

/// <summary>A content store that holds exactly <see cref="Blobs"/>, or fails with <see cref="Failure"/>.</summary>
internal sealed class FakeContentPresence : IContentPresence
{
    public HashSet<string> Blobs { get; } = new(StringComparer.Ordinal);

    /// <summary>The images of the namespace: reference → its layers.</summary>
    public Dictionary<string, string[]> Images { get; } = new(StringComparer.Ordinal);

    public Exception? Failure { get; set; }

    public int Checks { get; private set; }

    public int Listings { get; private set; }

    public Task<bool> HasBlobAsync(string digest, CancellationToken c)
    {
        Checks++;
        return Failure is null ? Task.FromResult(Blobs.Contains(digest)) : Task.FromException<bool>(Failure);
    }

    /// <summary>When set, a listing waits for it (after completing <see cref="ListingStarted"/>).</summary>
    public TaskCompletionSource? ListingGate { get; set; }

    public TaskCompletionSource ListingStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task<IReadOnlySet<string>> ListBlobDigestsAsync(CancellationToken c)
    {
        Listings++;
        ListingStarted.TrySetResult();
        if (ListingGate is { } gate)
        {
            await gate.Task;
        }

        return Failure is null ? Blobs.ToHashSet(StringComparer.Ordinal) : throw Failure;
    }

    public Task<ImageReferences> CountImageReferencesAsync(CancellationToken c)
    {
        if (Failure is not null)
        {
            return Task.FromException<ImageReferences>(Failure);
        }

        var counts = Images.Values.SelectMany(layers => layers.Distinct())
            .GroupBy(layer => layer, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return Task.FromResult(new ImageReferences(counts, Images.Count, []));
    }
}
