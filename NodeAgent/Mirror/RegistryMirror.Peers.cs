using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using LayerLock.NodeAgent.Coordination;

namespace LayerLock.NodeAgent.Mirror;

/// <summary>
/// Layer blobs from a peer (issue 12): the Coordinator answered the layer's lock request with a peer
/// grant, so the layer comes from another node's peer endpoint instead of the registry.
/// </summary>
public sealed partial class RegistryMirror
{
    // Digests whose peer transfers failed on this node, and the peers that failed them: containerd's
    // own retry of a layer asks without them. At most this many digests are remembered.
    private const int FailedPeersKept = 1024;
    private readonly ConcurrentDictionary<string, IReadOnlyList<string>> _failedPeers = new(StringComparer.Ordinal);

    /// <summary>Where verified-in-progress peer bytes wait for containerd (the agent's state directory).</summary>
    private string SpoolDirectory => Path.Combine(_settings.StateDirectory, "spool");

    /// <summary>
    /// Fetches the layer from <paramref name="peer"/> into a spool file of this agent, checking the
    /// size against the manifest and sha256 over every byte, and only then streams it to containerd
    /// (the whole blob, or the range containerd asked for): a peer's wrong or cut-short bytes never
    /// reach containerd, so the layer can be asked of another source as if nothing happened.
    /// A peer that answers more slowly than <see cref="Hosting.PeerFetchSettings"/> allows is given up.
    /// </summary>
    /// <returns>
    /// <c>Success</c>: containerd got the verified layer. <c>Delivering</c>: the peer's bytes were good
    /// but containerd went away while they were handed over (nothing to retry here).
    /// <c>Missing</c>: the peer answered 404. <c>Error</c>: why the peer failed, otherwise.
    /// </returns>
    private async Task<PeerFetchOutcome> FetchFromPeerAsync(HttpContext context, string digest, PeerSource peer)
    {
        var from = $"peer {peer.Node}";
        var stopwatch = Stopwatch.StartNew();
        var floor = _settings.PeerFetch;
        long bytes = 0;
        Board.Report(new LayerProgress(digest, LayerState.Downloading, Bytes: 0, Source: from));
        FileStream spool;
        try
        {
            Directory.CreateDirectory(SpoolDirectory);
            var spoolPath = Path.Combine(SpoolDirectory, $"{digest["sha256:".Length..]}.{Guid.NewGuid():N}.part");
            spool = new FileStream(spoolPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        }
        catch (Exception unwritable) when (unwritable is IOException or UnauthorizedAccessException)
        {
            // Not the peer's fault, but the layer can still come from upstream, streamed unspooled.
            return Failed($"cannot spool the layer in {SpoolDirectory}: {unwritable.Message}");
        }

        await using var spooled = spool;
        // Fires only when a peer sends nothing at all for two windows (the floor itself is checked
        // at each window's end, as bytes arrive).
        using var slow = new CancellationTokenSource();
        var silence = floor.Window * 2;
        if (floor.MinRate > 0)
        {
            slow.CancelAfter(silence);
        }

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, slow.Token);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferBytes);
        var windowStart = TimeSpan.Zero;
        long windowBytes = 0;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"{peer.Url.TrimEnd('/')}/v1/blobs/{digest}"));
            if (_settings.Link.Client.AuthToken is { } token)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            request.Headers.TryAddWithoutValidation("User-Agent", _userAgent);
            using var response = await _peers.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                return Failed($"{from} answered 404: it does not have the layer", missing: true);
            }

            if (!response.IsSuccessStatusCode)
            {
                return Failed($"{from} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            var listed = Catalog.SizeOf(digest);
            if (listed is { } size && response.Content.Headers.ContentLength is { } announced && announced != size)
            {
                return Failed($"{from} announced {announced} bytes where the manifest lists {size} bytes");
            }

            await using var body = await response.Content.ReadAsStreamAsync(cancel.Token);
            var lastProgress = TimeSpan.Zero;
            int read;
            while ((read = await body.ReadAsync(buffer, cancel.Token)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                await spool.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
                bytes += read;
                if (listed is { } most && bytes > most)
                {
                    return Failed($"{from} sent more than the {most} bytes the manifest lists");
                }

                var now = stopwatch.Elapsed;
                if (now - windowStart >= floor.Window)
                {
                    if (TooSlow(bytes - windowBytes, now - windowStart) is { } slowly)
                    {
                        return Failed($"{from} {slowly}");
                    }

                    (windowStart, windowBytes) = (now, bytes);
                    if (floor.MinRate > 0)
                    {
                        slow.CancelAfter(silence);
                    }
                }

                if (now - lastProgress >= ProgressInterval)
                {
                    Board.Report(new LayerProgress(digest, LayerState.Downloading, Bytes: bytes, Source: from));
                    lastProgress = now;
                }
            }

            if (listed is { } expected ? bytes != expected : response.Content.Headers.ContentLength is { } length && bytes != length)
            {
                return Failed($"{from} ended the body at byte {bytes} of {listed ?? response.Content.Headers.ContentLength}");
            }

            var actual = "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
            if (actual != digest)
            {
                return Failed($"{from} sent {bytes} bytes whose digest is {actual}, not the layer's");
            }
        }
        catch (OperationCanceledException) when (slow.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
        {
            return Failed($"{from} {TooSlow(bytes - windowBytes, stopwatch.Elapsed - windowStart) ?? $"sent nothing for {silence.TotalSeconds:0.#} s"}");
        }
        catch (OperationCanceledException)
        {
            return Failed("containerd disconnected while the layer came from the peer", delivering: true);
        }
        catch (Exception failure) when (failure is HttpRequestException or IOException)
        {
            return Failed($"{from} failed: {failure.Message}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        // Verified: hand it to containerd as an upstream transfer would.
        var (start, end) = RequestedRange(context.Request, bytes);
        var handOver = ArrayPool<byte>.Shared.Rent(CopyBufferBytes);
        try
        {
            WriteHeaders(context.Response, digest, start, end, bytes);
            spool.Position = start;
            for (var left = (end ?? (bytes - 1)) + 1 - start; left > 0;)
            {
                var read = await spool.ReadAsync(handOver.AsMemory(0, (int)Math.Min(handOver.Length, left)), context.RequestAborted);
                if (read == 0)
                {
                    throw new IOException($"the spool file ended {left} bytes early");
                }

                await context.Response.Body.WriteAsync(handOver.AsMemory(0, read), context.RequestAborted);
                left -= read;
            }
        }
        catch (Exception gone) when (gone is IOException or OperationCanceledException)
        {
            context.Abort();
            return Failed("containerd disconnected while the layer was handed over", delivering: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(handOver);
        }

        Board.Report(new LayerProgress(digest, LayerState.Done, Bytes: bytes, Source: from));
        _log.PeerTransfer(digest, peer.Node, bytes, stopwatch.ElapsedMilliseconds, true, null);
        return new PeerFetchOutcome(true, bytes, null);

        PeerFetchOutcome Failed(string error, bool missing = false, bool delivering = false)
        {
            _log.PeerTransfer(digest, peer.Node, bytes, stopwatch.ElapsedMilliseconds, false, error);
            if (delivering)
            {
                Board.Report(new LayerProgress(digest, LayerState.Failed, Bytes: bytes, Error: error, Source: from));
            }

            return new PeerFetchOutcome(false, bytes, error) { Missing = missing, Delivering = delivering };
        }

        string? TooSlow(long got, TimeSpan over) =>
            floor.MinRate > 0 && got < floor.MinRate * over.TotalSeconds
                ? $"sent {got} bytes in the last {over.TotalSeconds:0.0} s, below the floor of {floor.MinRate} bytes per second"
                : null;
    }

    private void RememberFailedPeers(string digest, IReadOnlyList<string> peers)
    {
        if (_failedPeers.Count >= FailedPeersKept)
        {
            _failedPeers.Clear();
        }

        _failedPeers[digest] = peers;
    }

    /// <summary>Deletes spool files a killed agent left behind.</summary>
    private void CleanSpool()
    {
        if (!Directory.Exists(SpoolDirectory))
        {
            return;
        }

        foreach (var left in Directory.EnumerateFiles(SpoolDirectory, "*.part"))
        {
            File.Delete(left);
        }
    }

    private sealed record PeerFetchOutcome(bool Success, long Bytes, string? Error)
    {
        public bool Missing { get; init; }

        public bool Delivering { get; init; }
    }
}
