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
/// mirror (and every layer its lock), and streams the layers' progress. A newly present image
/// adds one reference to each of its layers; <see cref="RemoveAsync"/> takes it away again.
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

    /// <summary>Starts the pull; its events (layers, then done or failed) arrive on the returned reader.</summary>
    public ChannelReader<PullEvent> Pull(string reference, CancellationToken cancellation)
    {
        var events = Channel.CreateUnbounded<PullEvent>();
        _ = Task.Run(() => RunAsync(reference, events.Writer, cancellation), CancellationToken.None);
        return events.Reader;
    }

    /// <summary>Removes a local image and takes one reference from each of its layers.</summary>
    /// <exception cref="FormatException">A malformed reference.</exception>
    /// <exception cref="CtrException">containerd refused (e.g. no such image).</exception>
    public async Task<IReadOnlyDictionary<string, int>> RemoveAsync(string reference, CancellationToken cancellation)
    {
        var image = ImageReference.Parse(reference).ToString();
        var layers = await _ctr.ImageLayersAsync(image, cancellation);
        await _ctr.RemoveImageAsync(image, cancellation);
        foreach (var layer in layers)
        {
            await _refCounts.ActorRef.Ask<object>(new UpdateRefCount(layer, -1), AskTimeout);
        }

        _log.Removed(image, layers.Count);
        return (await _refCounts.ActorRef.Ask<RefCountSnapshot>(GetRefCounts.Instance, AskTimeout)).Counts;
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

                    events.TryWrite(new PullEvent("layer", reference, progress.Digest, progress.State.ToString().ToLowerInvariant(), progress.Position, progress.Holder, progress.Bytes, progress.Error));
                }
            });
            await _ctr.PullAsync(reference, hostsDir, null, cancellation);

            if (!existed)
            {
                foreach (var layer in await _ctr.ImageLayersAsync(reference, cancellation))
                {
                    await _refCounts.ActorRef.Ask<object>(new UpdateRefCount(layer, +1), AskTimeout);
                }
            }

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
