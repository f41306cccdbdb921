using LayerLock.Actors;

namespace LayerLock.NodeAgent.RefCounts;

/// <summary>
/// This node's per-layer reference counts. Every change is on disk (<see cref="RefCountStore"/>)
/// before it is acknowledged; <see cref="ShouldSkipOperation"/> asks the skip policy with the count
/// and with what containerd really holds. Messages: <see cref="ShouldSkipOperation"/>,
/// <see cref="ShouldSkipOperations"/>, <see cref="UpdateRefCount"/>, <see cref="GetRefCounts"/>, <see cref="Reconcile"/>.
/// A failing store or containerd is answered with <see cref="RefCountFailed"/>, and the actor goes on.
/// </summary>
public sealed class RefCountActor : IActor
{
    /// <summary>Skip when this node counts the layer and containerd still has its blob.</summary>
    public static readonly Func<SkipInputs, bool> DefaultSkipPolicy = static inputs => inputs.RefCount > 0 && inputs.Present;

    private const string AllLayers = "*";

    private readonly RefCountStore _store;
    private readonly IContentPresence _presence;
    private readonly Func<SkipInputs, bool> _skipPolicy;
    private readonly RefCountLog _log;
    private readonly Dictionary<string, int> _counts;

    /// <summary>Loads the counts from <paramref name="store"/>.</summary>
    /// <param name="skipPolicy">Decides <see cref="SkipDecision.Skip"/>; null means <see cref="DefaultSkipPolicy"/>.</param>
    /// <exception cref="InvalidDataException">The counts file is corrupt (see <see cref="RefCountStore.Load"/>).</exception>
    public RefCountActor(RefCountStore store, IContentPresence presence, Func<SkipInputs, bool>? skipPolicy, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(presence);
        ArgumentNullException.ThrowIfNull(logger);
        _store = store;
        _presence = presence;
        _skipPolicy = skipPolicy ?? DefaultSkipPolicy;
        _log = new RefCountLog(logger);
        _counts = new Dictionary<string, int>(store.Load().Where(pair => pair.Value > 0), StringComparer.Ordinal);
        _log.Loaded(_counts.Count, store.FilePath, store.DeleteStaleTemporaryFiles());
    }

    public async Task ReceiveAsync(IContext context)
    {
        switch (context.Message)
        {
            case ShouldSkipOperation request:
                context.Respond(await DecideAsync(request.Layer).ConfigureAwait(false));
                break;
            case ShouldSkipOperations request:
                context.Respond(await DecideAllAsync(request.Layers).ConfigureAwait(false));
                break;
            case UpdateRefCount update:
                context.Respond(Update(update));
                break;
            case GetRefCounts:
                context.Respond(new RefCountSnapshot(new SortedDictionary<string, int>(_counts, StringComparer.Ordinal)));
                break;
            case Reconcile:
                context.Respond(await ReconcileAsync().ConfigureAwait(false));
                break;
        }
    }

    private async Task<object> DecideAsync(string layer)
    {
        var refCount = _counts.GetValueOrDefault(layer);
        bool present;
        try
        {
            present = await _presence.HasBlobAsync(layer, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            return Failed(layer, "skip-check", error);
        }

        return Decide(layer, refCount, present);
    }

    private async Task<object> DecideAllAsync(IReadOnlyList<string> layers)
    {
        IReadOnlySet<string> blobs;
        try
        {
            blobs = await _presence.ListBlobDigestsAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            return Failed(AllLayers, "skip-check", error);
        }

        return new SkipDecisions([.. layers.Select(layer => Decide(layer, _counts.GetValueOrDefault(layer), blobs.Contains(layer)))]);
    }

    private SkipDecision Decide(string layer, int refCount, bool present)
    {
        var skip = _skipPolicy(new SkipInputs(layer, refCount, present));
        _log.SkipDecision(layer, refCount, present, skip);
        return new SkipDecision(layer, refCount, present, skip);
    }

    private object Update(UpdateRefCount update)
    {
        if (string.IsNullOrEmpty(update.Layer))
        {
            return Failed(update.Layer ?? "", "update", new ArgumentException("the layer digest is empty"));
        }

        var from = _counts.GetValueOrDefault(update.Layer);
        var wanted = (long)from + update.Delta;
        if (wanted > int.MaxValue)
        {
            return Failed(update.Layer, "update", new OverflowException($"count {from} + {update.Delta} exceeds {int.MaxValue}"));
        }

        if (wanted < 0)
        {
            _log.Clamped(update.Layer, update.Delta, from);
        }

        var value = (int)Math.Max(0, wanted);
        if (value == from)
        {
            _log.Updated(update.Layer, update.Delta, value);
            return new RefCountUpdated(update.Layer, value);
        }

        // Memory follows the disk: the new count is kept only once it is saved.
        var next = new Dictionary<string, int>(_counts, StringComparer.Ordinal);
        Set(next, update.Layer, value);
        try
        {
            _store.Save(next);
        }
        catch (Exception error)
        {
            return Failed(update.Layer, "update", error);
        }

        Set(_counts, update.Layer, value);
        _log.Updated(update.Layer, update.Delta, value);
        return new RefCountUpdated(update.Layer, value);
    }

    private async Task<object> ReconcileAsync()
    {
        IReadOnlySet<string> blobs;
        try
        {
            blobs = await _presence.ListBlobDigestsAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            return Failed(AllLayers, "reconcile", error);
        }

        var missing = _counts.Where(pair => pair.Value > 0 && !blobs.Contains(pair.Key))
            .OrderBy(pair => pair.Key, StringComparer.Ordinal)
            .ToList();
        if (missing.Count > 0)
        {
            var next = new Dictionary<string, int>(_counts, StringComparer.Ordinal);
            foreach (var (layer, _) in missing)
            {
                next.Remove(layer);
            }

            try
            {
                _store.Save(next);
            }
            catch (Exception error)
            {
                return Failed(AllLayers, "reconcile", error);
            }

            foreach (var (layer, from) in missing)
            {
                _counts.Remove(layer);
                _log.Corrected(layer, from, 0, "containerd does not have the blob");
            }
        }

        _log.Reconciled(missing.Count, _counts.Count, blobs.Count);
        return new Reconciled(missing.Count);
    }

    private RefCountFailed Failed(string layer, string operation, Exception error)
    {
        _log.Failed(layer, operation, error.Message, error);
        return new RefCountFailed(layer, error.Message);
    }

    private static void Set(Dictionary<string, int> counts, string layer, int value)
    {
        if (value == 0)
        {
            counts.Remove(layer);
        }
        else
        {
            counts[layer] = value;
        }
    }
}
