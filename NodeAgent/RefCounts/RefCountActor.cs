using Akka.Actor;
using Akka.Event;

namespace LayerLock.NodeAgent.RefCounts;

/// <summary>
/// This node's per-layer reference counts. Every change is on disk (<see cref="RefCountStore"/>)
/// before it is acknowledged; <see cref="ShouldSkipOperation"/> asks the skip policy with the count
/// and with what containerd really holds. Messages: <see cref="ShouldSkipOperation"/>,
/// <see cref="ShouldSkipOperations"/>, <see cref="UpdateRefCount"/>, <see cref="GetRefCounts"/>, <see cref="Reconcile"/>.
/// A failing store or containerd is answered with <see cref="RefCountFailed"/>, and the actor goes on.
/// Requests are handled one at a time, in order: while containerd is asked, later requests wait.
/// </summary>
public sealed class RefCountActor : ReceiveActor, IWithUnboundedStash
{
    /// <summary>Skip when this node counts the layer and containerd still has its blob.</summary>
    public static readonly Func<SkipInputs, bool> DefaultSkipPolicy = static inputs => inputs.RefCount > 0 && inputs.Present;

    private const string AllLayers = "*";

    private readonly RefCountStore _store;
    private readonly IContentPresence _presence;
    private readonly Func<SkipInputs, bool> _skipPolicy;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, int> _counts;

    /// <summary>Use <see cref="Props"/>.</summary>
    public RefCountActor(RefCountStore store, IReadOnlyDictionary<string, int> counts, IContentPresence presence, Func<SkipInputs, bool>? skipPolicy)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(presence);
        _store = store;
        _presence = presence;
        _skipPolicy = skipPolicy ?? DefaultSkipPolicy;
        _counts = new Dictionary<string, int>(counts.Where(pair => pair.Value > 0), StringComparer.Ordinal);
        Ready();
    }

    public IStash Stash { get; set; } = null!;

    /// <summary>
    /// The actor over <paramref name="store"/>, starting from <paramref name="counts"/>: what
    /// <see cref="RefCountStore.Load"/> returned to the caller, so a corrupt file fails the caller
    /// before any actor exists.
    /// </summary>
    /// <param name="skipPolicy">Decides <see cref="SkipDecision.Skip"/>; null means <see cref="DefaultSkipPolicy"/>.</param>
    public static Props Props(RefCountStore store, IReadOnlyDictionary<string, int> counts, IContentPresence presence, Func<SkipInputs, bool>? skipPolicy = null) =>
        Akka.Actor.Props.Create(() => new RefCountActor(store, counts, presence, skipPolicy));

    protected override void PreStart() => _log.Loaded(_counts.Count, _store.FilePath, _store.DeleteStaleTemporaryFiles());

    protected override void PostRestart(Exception reason)
    {
        // A restart makes this actor again from its Props, with the counts read at the agent's start;
        // the file has every change acknowledged since (memory follows the disk).
        _counts.Clear();
        foreach (var (layer, count) in _store.Load().Where(pair => pair.Value > 0))
        {
            _counts[layer] = count;
        }

        base.PostRestart(reason);
    }

    private void Ready()
    {
        Receive<ShouldSkipOperation>(request => AskContainerd(CheckBlobAsync(_presence, request.Layer, Sender)));
        Receive<ShouldSkipOperations>(request => AskContainerd(ListBlobsAsync(_presence, request, Sender)));
        Receive<Reconcile>(request => AskContainerd(CountImagesAsync(_presence, request, Sender)));
        Receive<UpdateRefCount>(update => Sender.Tell(Update(update)));
        Receive<GetRefCounts>(_ => Sender.Tell(new RefCountSnapshot(new SortedDictionary<string, int>(_counts, StringComparer.Ordinal))));
    }

    // Waits for containerd's answer without blocking a thread; every other request waits in the stash,
    // so each one sees the counts every earlier one left.
    private void AskingContainerd()
    {
        Receive<BlobChecked>(answer => Answer(answer.ReplyTo, Decide(answer.Layer, _counts.GetValueOrDefault(answer.Layer), answer.Present)));
        Receive<BlobsListed>(answer => Answer(answer.ReplyTo, new SkipDecisions(
            [.. answer.Request.Layers.Select(layer => Decide(layer, _counts.GetValueOrDefault(layer), answer.Blobs.Contains(layer)))])));
        Receive<ImagesCounted>(answer => Answer(answer.ReplyTo, ReconcileWith(answer.Request.Why, answer.References, answer.Blobs)));
        Receive<ContainerdFailed>(answer => Answer(answer.ReplyTo, Failed(answer.Layer, answer.Operation, answer.Error)));
        ReceiveAny(_ => Stash.Stash());
    }

    private void AskContainerd(Task<object> answer)
    {
        answer.PipeTo(Self);
        Become(AskingContainerd);
    }

    private void Answer(IActorRef replyTo, object reply)
    {
        replyTo.Tell(reply);
        Become(Ready);
        Stash.UnstashAll();
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

    private object ReconcileWith(string why, ImageReferences references, IReadOnlySet<string> blobs)
    {
        var next = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (layer, images) in references.Counts)
        {
            if (images > 0 && blobs.Contains(layer))
            {
                next[layer] = images;
            }
        }

        var changed = _counts.Keys.Union(next.Keys)
            .Where(layer => _counts.GetValueOrDefault(layer) != next.GetValueOrDefault(layer))
            .OrderBy(layer => layer, StringComparer.Ordinal)
            .Select(layer => (Layer: layer, From: _counts.GetValueOrDefault(layer), To: next.GetValueOrDefault(layer)))
            .ToList();
        if (changed.Count > 0)
        {
            // Memory follows the disk: the new counts are kept only once they are saved.
            try
            {
                _store.Save(next);
            }
            catch (Exception error)
            {
                return Failed(AllLayers, "reconcile", error);
            }

            foreach (var (layer, from, to) in changed)
            {
                Set(_counts, layer, to);
                _log.Updated(layer, to - from, to);
            }
        }

        foreach (var image in references.Unreadable)
        {
            _log.UnreadableImage(image);
        }

        _log.Reconciled(why, changed.Count, _counts.Count, references.Images, blobs.Count);
        return new Reconciled(changed.Count);
    }

    private RefCountFailed Failed(string layer, string operation, Exception error)
    {
        _log.Failed(layer, operation, error);
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

    // containerd is asked off the actor's thread; the answer (or the failure) comes back as a message.
    private static async Task<object> CheckBlobAsync(IContentPresence presence, string layer, IActorRef replyTo)
    {
        try
        {
            return new BlobChecked(layer, await presence.HasBlobAsync(layer, CancellationToken.None).ConfigureAwait(false), replyTo);
        }
        catch (Exception error)
        {
            return new ContainerdFailed(layer, "skip-check", error, replyTo);
        }
    }

    private static async Task<object> ListBlobsAsync(IContentPresence presence, ShouldSkipOperations request, IActorRef replyTo)
    {
        try
        {
            return new BlobsListed(request, await presence.ListBlobDigestsAsync(CancellationToken.None).ConfigureAwait(false), replyTo);
        }
        catch (Exception error)
        {
            return new ContainerdFailed(AllLayers, "skip-check", error, replyTo);
        }
    }

    // Images first, blobs second: a blob collected in between is then seen as gone, never the reverse.
    private static async Task<object> CountImagesAsync(IContentPresence presence, Reconcile request, IActorRef replyTo)
    {
        try
        {
            var references = await presence.CountImageReferencesAsync(CancellationToken.None).ConfigureAwait(false);
            var blobs = await presence.ListBlobDigestsAsync(CancellationToken.None).ConfigureAwait(false);
            return new ImagesCounted(request, references, blobs, replyTo);
        }
        catch (Exception error)
        {
            return new ContainerdFailed(AllLayers, "reconcile", error, replyTo);
        }
    }

    private sealed record BlobChecked(string Layer, bool Present, IActorRef ReplyTo);

    private sealed record BlobsListed(ShouldSkipOperations Request, IReadOnlySet<string> Blobs, IActorRef ReplyTo);

    private sealed record ImagesCounted(Reconcile Request, ImageReferences References, IReadOnlySet<string> Blobs, IActorRef ReplyTo);

    private sealed record ContainerdFailed(string Layer, string Operation, Exception Error, IActorRef ReplyTo);
}
