using System.Diagnostics;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Hosting;
using LayerLock.NodeAgent.Containerd;
using LayerLock.NodeAgent.Mirror;
using LayerLock.NodeAgent.RefCounts;

namespace LayerLock.NodeAgent.Pulls;

/// <summary>
/// Pulls an image with <c>ctr images pull --hosts-dir</c>, so every registry request passes the
/// mirror (and every layer its lock), and streams the layers' progress. After every pull and
/// <see cref="RemoveAsync"/> the refcounts are reconciled with containerd (<see cref="Reconcile"/>):
/// a layer's count is the number of images on the node that reference it, however many pulls of
/// one image ran at once and however pulls and rms interleave.
/// </summary>
public sealed class PullService
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);
    private readonly CtrRunner _ctr;
    private readonly HostsDirectory _hosts;
    private readonly LayerCatalog _catalog;
    private readonly TransferBoard _board;
    private readonly IRequiredActor<RefCountActor> _refCounts;
    private readonly PullLog _log;

    internal PullService(CtrRunner ctr, HostsDirectory hosts, LayerCatalog catalog, TransferBoard board, IRequiredActor<RefCountActor> refCounts, ILogger logger)
    {
        _ctr = ctr;
        _hosts = hosts;
        _catalog = catalog;
        _board = board;
        _refCounts = refCounts;
        _log = new PullLog(logger);
    }

    /// <summary>Told every layer the node has (count above zero) after each reconciliation; the Coordinator's record of what this node serves to peers.</summary>
    public Action<IReadOnlyCollection<string>>? LayersChanged { get; init; }

    /// <summary>Starts the pull; its events (layers, then done or failed) arrive on the returned reader.</summary>
    public ChannelReader<PullEvent> Pull(string reference, CancellationToken cancellation)
    {
        var events = Channel.CreateUnbounded<PullEvent>();
        _ = Task.Run(() => RunAsync(reference, events.Writer, cancellation), CancellationToken.None);
        return events.Reader;
    }

    /// <summary>Removes a local image, then reconciles the refcounts; returns them.</summary>
    /// <exception cref="FormatException">A malformed reference.</exception>
    /// <exception cref="InvalidOperationException">No such image on this node.</exception>
    /// <exception cref="CtrException">containerd refused.</exception>
    public async Task<IReadOnlyDictionary<string, int>> RemoveAsync(string reference, CancellationToken cancellation)
    {
        var image = ImageReference.Parse(reference).ToString();
        var layers = await _ctr.ImageLayersAsync(image, cancellation);
        await _ctr.RemoveImageAsync(image, cancellation);
        _log.Removed(image, layers.Count);
        await ReconcileAsync($"rm of {image}");
        return (await _refCounts.ActorRef.Ask<RefCountSnapshot>(GetRefCounts.Instance, AskTimeout)).Counts;
    }

    // The image is pulled or removed whatever the counts say: a failed reconciliation is logged, and
    // the next pull, rm or agent start brings the counts back in line.
    private async Task ReconcileAsync(string why)
    {
        try
        {
            if (await _refCounts.ActorRef.Ask<object>(new Reconcile(why), AskTimeout) is RefCountFailed failed)
            {
                _log.CountsStale(why, failed.Error);
            }
            else if (LayersChanged is { } changed)
            {
                changed([.. (await _refCounts.ActorRef.Ask<RefCountSnapshot>(GetRefCounts.Instance, AskTimeout)).Counts.Keys]);
            }
        }
        catch (AskTimeoutException)
        {
            _log.CountsStale(why, $"no answer within {AskTimeout.TotalSeconds:0} s");
        }
    }

    private async Task RunAsync(string text, ChannelWriter<PullEvent> events, CancellationToken cancellation)
    {
        var stopwatch = Stopwatch.StartNew();
        string? reference = null;

        // What the mirror saw go wrong first (lock lost or revoked, digest mismatch, upstream
        // status): the cause, where ctr only reports the connection the mirror then closed.
        string? firstLayerFailure = null;
        try
        {
            var image = ImageReference.Parse(text);
            reference = image.ToString();
            var repository = $"{image.Host}/{image.Repository}";
            var hostsDir = _hosts.WriteFor(image.Host);
            _log.Started(reference, hostsDir);
            var existed = (await _ctr.ListImagesAsync(cancellation)).Contains(reference);
            if (existed)
            {
                // containerd answers a HEAD for a manifest it has and never fetches its layers again,
                // so the mirror sees no manifest: the seed's ShouldSkipOperation runs here instead.
                var layers = await _ctr.ImageLayersAsync(reference, cancellation);
                var decisions = await _refCounts.ActorRef.Ask<SkipDecisions>(new ShouldSkipOperations(layers), AskTimeout);
                foreach (var decision in decisions.Decisions)
                {
                    events.TryWrite(new PullEvent("layer", reference, decision.Layer, decision.Skip ? "skipped" : "present"));
                }
            }

            // Only this image's layers, known once its manifest has passed the mirror.
            using var listening = _board.Listen(progress =>
            {
                if (_catalog.LayersOf(repository).Contains(progress.Digest))
                {
                    if (progress.State == LayerState.Failed && progress.Error is { } error)
                    {
                        Interlocked.CompareExchange(ref firstLayerFailure, $"layer {progress.Digest} failed: {error}", null);
                    }

                    events.TryWrite(new PullEvent("layer", reference, progress.Digest, progress.State.ToString().ToLowerInvariant(), progress.Position, progress.Holder, progress.Bytes, progress.Error, _catalog.SizeOf(progress.Digest), progress.Source));
                }
            });
            await _ctr.PullAsync(reference, hostsDir, null, cancellation);
            await ReconcileAsync($"pull of {reference}");

            _log.Finished(reference, true, stopwatch.ElapsedMilliseconds, null);
            events.TryWrite(new PullEvent("done", reference));
        }
        catch (Exception failure) when (failure is FormatException or CtrException or TimeoutException or AskTimeoutException or OperationCanceledException or IOException or InvalidOperationException)
        {
            var error = failure switch
            {
                OperationCanceledException => "cancelled",
                CtrException when Volatile.Read(ref firstLayerFailure) is { } cause => $"{cause} (then {failure.Message})",
                _ => failure.Message,
            };
            _log.Finished(reference ?? text, false, stopwatch.ElapsedMilliseconds, error);
            events.TryWrite(new PullEvent("failed", reference ?? text, Error: error));
        }
        finally
        {
            events.TryComplete();
        }
    }
}
